"""Situation-report templates (汇报模板): .docx files with docxtpl (Jinja) tags that office staff
edit in Word. Uploading a file under a code makes the next version of that code; the latest
version is the one used. A file is accepted only if it is a Word document and renders with a
sample context, so a template with a typo is refused with the reason instead of failing later.
The built-in templates (`docx_presets`) are created after every migrate when their code is
missing."""

import io
import re
import zipfile

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined
from jinja2.exceptions import TemplateError, TemplateSyntaxError, UndefinedError

from ..models import ItemKind, ReportTemplate
from .docx_presets import PRESETS
from .forms import DEFAULT_FORM, FormNotFound, form_in_force
from .rollup import percent_text
from .sources import source

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SAVE_ATTEMPTS = 5


def load_template_presets(using="default"):
    """Create version 1 of each built-in template whose code is missing; returns the codes created."""
    if ReportTemplate._meta.db_table not in connections[using].introspection.table_names():
        return []
    created = []
    for preset in PRESETS:
        if ReportTemplate.objects.using(using).filter(code=preset.code).exists():
            continue
        ReportTemplate.objects.using(using).create(
            code=preset.code, version=1, name=preset.name, description=preset.description,
            content=preset.build(), file_name=f"{preset.code}.docx", is_preset=True,
        )
        created.append(preset.code)
    return created


def latest_template(code):
    """The version of template `code` in use (its latest); LookupError when there is none."""
    template = ReportTemplate.objects.filter(code=code).order_by("-version").first()
    if template is None:
        raise LookupError(_("汇报模板“%(code)s”不存在。") % {"code": code})
    return template


def latest_templates():
    """The latest version of every template code, by code."""
    latest = {}
    for template in ReportTemplate.objects.order_by("code", "-version").defer("content"):
        latest.setdefault(template.code, template)
    return list(latest.values())


def percent(value):
    """The `percent` filter: a ratio item as "87.5%", or "—" when there is no ratio."""
    return percent_text(value) or "—"


def _environment():
    # A misspelt variable must fail loudly rather than leave a blank where a number belongs.
    environment = Environment(undefined=StrictUndefined, autoescape=True)
    environment.filters["percent"] = percent
    return environment


_UNKNOWN_TAG = re.compile(r"unknown tag '([^']+)'")
_UNCLOSED_BLOCK = re.compile(r"innermost block that needs to be closed is '(\w+)'")
_UNKNOWN_FILTER = re.compile(r"No filter named '([^']+)'")
_MISSING_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")


def _template_error(error):
    """A docxtpl/Jinja error as a Chinese message naming the problem, with the text around it."""
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, TemplateSyntaxError):
        if found := _UNKNOWN_TAG.search(message):
            text = _("模板中有无法识别的标签“%(tag)s”（例如拼错了 for、if、endfor、endif）。") % {"tag": found.group(1)}
        elif found := _UNCLOSED_BLOCK.search(message):
            text = _("模板语法错误：缺少 %(tag)s，for 和 if 都要有对应的结束标签（段落中写 {%%p %(tag)s %%}，"
                     "表格行中写 {%%tr %(tag)s %%}）。") % {"tag": f"end{found.group(1)}"}
        elif found := _UNKNOWN_FILTER.search(message):
            text = _("模板语法错误：没有名为“%(name)s”的过滤器。") % {"name": found.group(1)}
        else:
            text = _("模板语法错误：%(message)s（请检查 {{ }} 和 {%% %%} 是否成对、拼写是否正确）。") % {
                "message": message}
    elif isinstance(error, UndefinedError):
        found = _MISSING_ATTRIBUTE.search(message) or _UNDEFINED_NAME.search(message)
        name = found.group(1) if found else message
        text = _("模板中用到了不存在的变量或项目“%(name)s”，请对照可用变量表检查拼写。") % {"name": name}
    else:
        text = _("模板无法生成文档：%(message)s") % {"message": message}
    around = "".join(line.strip() for line in getattr(error, "docx_context", None) or [])
    if around:
        text += _("出错位置附近的文字：“%(text)s”") % {"text": around[:120]}
    return ValidationError(text, code="template")


def render_docx(content, context):
    """Render the .docx bytes `content` with `context`; the written .docx bytes. Template
    errors come back as a ValidationError in Chinese."""
    try:
        template = DocxTemplate(io.BytesIO(content))
        template.render(context, _environment(), autoescape=True)
    except TemplateError as error:
        raise _template_error(error) from None
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def check_template(file_bytes, file_name, form_code=DEFAULT_FORM):
    """Refuse anything but a .docx that renders with the sample context of form `form_code`."""
    from .situation import sample_context  # here, as the situation module imports this one

    if not file_name.lower().endswith(".docx"):
        raise ValidationError(_("只能上传 Word 文档（.docx）。.doc 文件请先在 Word 中“另存为”.docx。"), code="type")
    if len(file_bytes) > MAX_TEMPLATE_BYTES:
        raise ValidationError(_("文件太大（不能超过10MB）。"), code="size")
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "word/document.xml" not in names:
        raise ValidationError(_("文件不是有效的 Word 文档（.docx），可能已损坏或只是改了扩展名。"), code="type")
    try:
        form = form_in_force(form_code)
    except FormNotFound:
        raise ValidationError(_("报表“%(code)s”今天没有生效的版本，无法检查模板。") % {"code": form_code},
                              code="form") from None
    context = sample_context(form)
    try:
        render_docx(file_bytes, context)
    except ValidationError:
        raise
    except Exception as error:  # a broken document makes docxtpl/lxml fail in many ways
        raise ValidationError(_("模板无法生成文档：%(message)s") % {"message": error}, code="template") from None


def upload_template(code, name, file_bytes, file_name, user, description=""):
    """Save `file_bytes` as the next version of template `code` (version 1 of a new code)."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise ValidationError(_("模板编码只能用小写字母、数字、短横线和下划线，以字母或数字开头，不超过40个字符。"),
                              code="code")
    previous = ReportTemplate.objects.filter(code=code).order_by("-version").defer("content").first()
    name = (name or "").strip() or (previous.name if previous else "")
    if not name:
        raise ValidationError(_("请填写模板名称。"), code="name")
    form_code = previous.form_code if previous else DEFAULT_FORM
    check_template(file_bytes, file_name, form_code)
    for _attempt in range(SAVE_ATTEMPTS):
        version = (ReportTemplate.objects.filter(code=code).aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return ReportTemplate.objects.create(
                    code=code, version=version, name=name[:100],
                    description=description.strip() or (previous.description if previous else ""),
                    form_code=form_code,
                    content=file_bytes, file_name=file_name[-200:], uploaded_by=user,
                )
        except IntegrityError:
            continue
    raise ValidationError(_("同时有人上传同一模板，请重试。"), code="conflict")


def item_shape(item):
    """How an item of a form comes out of the roll-up: "both" ({new, cumulative}), "text" (a
    list of reports), "ratio" (a percentage, or None) or "single" (one number)."""
    if item["kind"] in (ItemKind.TEXT, ItemKind.RATIO):
        return item["kind"]
    if item["kind"] == ItemKind.NUMBER:
        return "both" if item.get("accumulate") else "single"
    measure = item.get("measure") or ("current" if source(item["source"]).since else "both")
    return "both" if measure == "both" else "single"


def template_context_help(form=None):
    """The tags a template may use: [{"tag", "label", "example"}], the items of the form
    in force included (当日新增 as .new, 累计 as .cumulative)."""
    rows = [
        {"tag": "{{ unit_name }}", "label": _("单位名称"), "example": "城关镇"},
        {"tag": "{{ area_word }}", "label": _("“全X”的X：县、镇、村、校、企业……"), "example": "镇"},
        {"tag": "{{ issuer }}", "label": _("编发单位（单位的领导小组或指挥部办公室）"),
         "example": "城关镇疫情防控工作领导小组办公室"},
        {"tag": "{{ as_of_text }}", "label": _("统计截至"), "example": "2022年1月27日12时"},
        {"tag": "{{ date_text }}", "label": _("报告日期"), "example": "2022年1月27日"},
        {"tag": "{{ issue_date }}", "label": _("成文日期"), "example": "2022年1月27日"},
        {"tag": "{{ number }}", "label": _("简报期数"), "example": "3"},
        {"tag": "{{ completeness.expected }}", "label": _("应报单位数"), "example": "12"},
        {"tag": "{{ completeness.received }}", "label": _("已报单位数（含零报告、迟报）"), "example": "11"},
        {"tag": "{{ completeness.on_time }}", "label": _("按时报送单位数"), "example": "10"},
        {"tag": "{{ completeness.rate }}", "label": _("及时率（%）"), "example": "83.3"},
        {"tag": "{{ completeness.missing_count }}", "label": _("未报单位数"), "example": "1"},
        {"tag": "{{ completeness.missing_text }}", "label": _("未报单位名称，用顿号分隔"), "example": "西门村"},
        {"tag": "{%p for event in events %} {{ event.name }}：{{ event.text }} {%p endfor %}",
         "label": _("有事报事：逐条列出报告单位和内容"), "example": "东门村：劝阻聚餐一起"},
        {"tag": "{%tr for row in children %} {{ row.name }} {{ row.items.… }} {{ row.completeness.… }} {%tr endfor %}",
         "label": _("表格中逐行列出下级单位，row.items 与 items 的项目相同"), "example": "东门村"},
    ]
    try:
        form = form or form_in_force(DEFAULT_FORM)
    except FormNotFound:
        return rows
    for item in form.items:
        label = item["label"] + (f"（{item['unit']}）" if item.get("unit") else "")
        name = f"items.{item['code']}"
        shape = item_shape(item)
        if shape == "text":
            continue
        if shape == "ratio":
            rows.append({"tag": f"{{{{ {name}|percent }}}}", "label": _("%(label)s（百分数，无分母时为—）")
                         % {"label": label}, "example": "87.5%"})
        elif shape == "both":
            rows.append({"tag": f"{{{{ {name}.new }}}}", "label": _("%(label)s：当日新增") % {"label": label},
                         "example": "2"})
            rows.append({"tag": f"{{{{ {name}.cumulative }}}}", "label": _("%(label)s：累计") % {"label": label},
                         "example": "35"})
        else:
            rows.append({"tag": f"{{{{ {name} }}}}", "label": label, "example": "5"})
    return rows
