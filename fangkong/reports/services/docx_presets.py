"""The built-in situation-report templates, written with python-docx when the presets load (no
binary files are kept in the source). They follow the layout of Party and government documents
(党政机关公文格式, GB/T 9704): A4, title in 方正小标宋简体 2号 centred, body in 仿宋_GB2312 3号
with a two-character first-line indent and a fixed 28-point line spacing, 一、 headings in 黑体 and
（一） headings in 楷体. The figures are docxtpl (Jinja) tags over the context of
`services.situation.situation_context`; office staff download a template, edit it in Word and
upload it as a new version."""

import io
from dataclasses import dataclass
from typing import Callable

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_SMALL_4 = Pt(12)  # 小四
LINE = Pt(28)
RED = RGBColor(0xE6, 0x00, 0x12)  # the red of a bulletin's masthead (红头)

# name: (ASCII style id, font, size, bold, first-line indent, alignment, fixed line spacing or None);
# Word shows the name, and the id stays ASCII as Word itself writes ids.
STYLES = {
    "公文标题": ("DocTitle", TITLE_FONT, SIZE_2, False, None, WD_ALIGN_PARAGRAPH.CENTER, Pt(36)),
    "公文副标题": ("DocSubtitle", BODY_FONT, SIZE_3, False, None, WD_ALIGN_PARAGRAPH.CENTER, LINE),
    "一级标题": ("DocHeading1", HEADING_FONT, SIZE_3, False, Pt(32), WD_ALIGN_PARAGRAPH.JUSTIFY, LINE),
    "二级标题": ("DocHeading2", SUBHEADING_FONT, SIZE_3, False, Pt(32), WD_ALIGN_PARAGRAPH.JUSTIFY, LINE),
    "落款": ("DocSignature", BODY_FONT, SIZE_3, False, None, WD_ALIGN_PARAGRAPH.RIGHT, LINE),
    "表格标题": ("DocTableHead", HEADING_FONT, SIZE_SMALL_4, False, None, WD_ALIGN_PARAGRAPH.CENTER, None),
    "表格文字": ("DocTableText", BODY_FONT, SIZE_SMALL_4, False, None, WD_ALIGN_PARAGRAPH.CENTER, None),
}


def _east_asian_font(element, name):
    """Set the font of every script: python-docx's `font.name` sets only the Latin ones, and
    Word draws Chinese with the eastAsia font."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:eastAsia"), "zh-CN")


def _style(style, font, size, bold, indent, alignment, spacing):
    style.font.name = font
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _east_asian_font(style.element, font)
    fmt = style.paragraph_format
    fmt.first_line_indent = indent if indent is not None else Pt(0)
    fmt.alignment = alignment
    fmt.space_before = fmt.space_after = Pt(0)
    if spacing is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = spacing


def _page_number_footer(section):
    """— 1 — centred at the foot of each page, as official documents number their pages."""
    paragraph = section.footer.paragraphs[0]
    paragraph.style = "表格文字"
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —")


def new_document(title):
    """An empty A4 document with the official-document styles; `title` (tags allowed) becomes
    the document's title property."""
    document = Document()
    normal = document.styles["Normal"]
    _style(normal, BODY_FONT, SIZE_3, False, Pt(32), WD_ALIGN_PARAGRAPH.JUSTIFY, LINE)
    for name, (style_id, *settings) in STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = style_id
        style.base_style = normal
        _style(style, *settings)
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number_footer(section)
    document.core_properties.title = title
    document.core_properties.author = ""
    return document


def title(document, text, colour=None):
    paragraph = document.add_paragraph(style="公文标题")
    run = paragraph.add_run(text)
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def subtitle(document, text):
    return document.add_paragraph(text, style="公文副标题")


def heading(document, text):
    """一、 …"""
    return document.add_paragraph(text, style="一级标题")


def subheading(document, text):
    """（一）…"""
    return document.add_paragraph(text, style="二级标题")


def body(document, text):
    return document.add_paragraph(text)


def control(document, tag):
    """A paragraph holding only a docxtpl paragraph tag ({%p …%}), removed when rendered."""
    return document.add_paragraph(tag)


def blank(document):
    return document.add_paragraph()


def signature(document, issuer, date):
    blank(document)
    document.add_paragraph(issuer, style="落款")
    document.add_paragraph(date, style="落款")


def events(document, empty_text):
    """有事报事: one paragraph per reported event, or a line saying nothing was reported."""
    control(document, "{%p if events %}")
    control(document, "{%p for event in events %}")
    body(document, "{{ loop.index }}. {{ event.name }}：{{ event.text }}")
    control(document, "{%p endfor %}")
    control(document, "{%p else %}")
    body(document, empty_text)
    control(document, "{%p endif %}")


def _bottom_rule(paragraph, colour="E60012"):
    """A rule under the masthead (版头分隔线)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", colour)):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _cell(cell, text, style="表格文字"):
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    paragraph.text = text


def children_table(document, columns, total_row=True):
    """A table with one row per child unit, built with docxtpl's row loop. `columns` are
    (header, cell tag of `row`, total tag)."""
    rows = 4 + (1 if total_row else 0)
    table = document.add_table(rows=rows, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, (header, cell, total) in enumerate(columns):
        _cell(table.rows[0].cells[index], header, "表格标题")
        _cell(table.rows[2].cells[index], cell)
        if total_row:
            _cell(table.rows[4].cells[index], total, "表格标题")
    _cell(table.rows[1].cells[0], "{%tr for row in children %}")
    _cell(table.rows[3].cells[0], "{%tr endfor %}")
    return table


def to_bytes(document):
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


COMPLETENESS = (
    "{{ date_text }}应报日报的单位{{ completeness.expected }}个，已报{{ completeness.received }}个，"
    "按时报送{{ completeness.on_time }}个"
    "{% if completeness.missing_count %}，未报{{ completeness.missing_count }}个"
    "（{{ completeness.missing_text }}）{% else %}，无未报单位{% endif %}。"
)
ISSUER = "{{ issuer }}"


def situation_2020():
    """疫情防控工作情况汇报 in the shape of 002:15 (the 2020 reports of counties and districts)."""
    document = new_document("{{ unit_name }}疫情防控工作情况汇报")
    title(document, "{{ unit_name }}疫情防控工作情况汇报")
    blank(document)
    body(document, "根据上级部署要求，我{{ area_word }}建立了日报告和零报告制度，数据及时上报。"
                   "现将截至{{ as_of_text }}的疫情防控工作情况报告如下：")
    heading(document, "一、目前的排查情况")
    body(document, "截至{{ as_of_text }}，全{{ area_word }}累计摸排湖北省返乡人员{{ items.hubei_returnees.cumulative }}人，"
                   "其中武汉返乡人员{{ items.wuhan_returnees.cumulative }}人，"
                   "当日新发登记人数{{ items.key_persons.new }}人，解除随访人数{{ items.released.new }}人。"
                   "到目前为止，已有密切接触者{{ items.close_contacts.cumulative }}人，"
                   "随访发现发热、咳嗽、胸闷等不适症状的{{ items.follow_up_anomalies.cumulative }}人均已落实相应的控制措施。")
    subheading(document, "（一）入户摸排")
    body(document, "全{{ area_word }}累计入户摸排{{ items.screened_persons.cumulative }}人、"
                   "走访{{ items.screened_households.cumulative }}户，其中当日摸排{{ items.screened_persons.new }}人、"
                   "走访{{ items.screened_households.new }}户；摸排发现需跟进人员累计{{ items.flagged_persons.cumulative }}人。")
    subheading(document, "（二）重点人员管控")
    body(document, "目前在管重点人员{{ items.under_control }}人，其中集中隔离{{ items.isolated_total }}人、"
                   "居家管控{{ items.home_controlled }}人；累计解除管控{{ items.released.cumulative }}人。"
                   "累计核酸检测{{ items.tests_done.cumulative }}人次，检测阳性{{ items.tests_positive.cumulative }}人次。")
    heading(document, "二、日报告和零报告情况")
    body(document, COMPLETENESS)
    heading(document, "三、有事报事")
    events(document, "各单位无事报平安，当日无特殊情况报告。")
    signature(document, ISSUER, "{{ issue_date }}")
    return to_bytes(document)


def bulletin():
    """工作简报: masthead, issue number, issuer and date, the key figures and a table by child unit."""
    document = new_document("{{ unit_name }}疫情防控工作简报第{{ number }}期")
    title(document, "{{ unit_name }}疫情防控工作简报", colour=RED)
    subtitle(document, "第{{ number }}期")
    masthead = document.add_paragraph(style="表格文字")
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    masthead.paragraph_format.line_spacing = LINE
    masthead.add_run(ISSUER + "　　　　　　{{ issue_date }}").font.size = SIZE_3
    _bottom_rule(masthead)
    blank(document)
    heading(document, "一、总体情况")
    body(document, "截至{{ as_of_text }}，全{{ area_word }}累计入户摸排{{ items.screened_persons.cumulative }}人"
                   "（当日{{ items.screened_persons.new }}人），走访{{ items.screened_households.cumulative }}户；"
                   "累计摸排湖北省返乡人员{{ items.hubei_returnees.cumulative }}人，"
                   "其中武汉返乡人员{{ items.wuhan_returnees.cumulative }}人。")
    body(document, "累计登记重点人员{{ items.key_persons.cumulative }}人（当日新增{{ items.key_persons.new }}人），"
                   "其中密切接触者{{ items.close_contacts.cumulative }}人；目前在管{{ items.under_control }}人，"
                   "其中集中隔离{{ items.isolated_total }}人、居家管控{{ items.home_controlled }}人；"
                   "累计解除管控{{ items.released.cumulative }}人（当日{{ items.released.new }}人）。"
                   "累计核酸检测{{ items.tests_done.cumulative }}人次，检测阳性{{ items.tests_positive.cumulative }}人次。")
    body(document, COMPLETENESS)
    heading(document, "二、分单位情况")
    children_table(document, [
        ("单位", "{{ row.name }}", "合计"),
        ("累计摸排（人）", "{{ row.items.screened_persons.cumulative }}", "{{ items.screened_persons.cumulative }}"),
        ("湖北返乡（人）", "{{ row.items.hubei_returnees.cumulative }}", "{{ items.hubei_returnees.cumulative }}"),
        ("当日新增重点人员（人）", "{{ row.items.key_persons.new }}", "{{ items.key_persons.new }}"),
        ("在管重点人员（人）", "{{ row.items.under_control }}", "{{ items.under_control }}"),
        ("集中隔离（人）", "{{ row.items.isolated_total }}", "{{ items.isolated_total }}"),
        ("已报/应报", "{{ row.completeness.received }}/{{ row.completeness.expected }}",
         "{{ completeness.received }}/{{ completeness.expected }}"),
    ])
    heading(document, "三、有事报事")
    events(document, "各单位无事报平安。")
    return to_bytes(document)


def isolation_census():
    """集中隔离人员情况 in the shape of 003:136; the parts add up to the total (the form's rule)."""
    document = new_document("{{ unit_name }}集中隔离人员情况")
    title(document, "{{ unit_name }}集中隔离人员情况")
    subtitle(document, "（截至{{ as_of_text }}）")
    blank(document)
    body(document, "目前，全{{ area_word }}正在集中隔离{{ items.isolated_total }}人"
                   "（其中密接{{ items.isolated_close_contacts }}人，次密接{{ items.isolated_secondary_contacts }}人，"
                   "境外返回{{ items.isolated_inbound }}人，其他中高风险区{{ items.isolated_others }}人），"
                   "居家管控{{ items.home_controlled }}人，在管重点人员共{{ items.under_control }}人。"
                   "当日新登记重点人员{{ items.key_persons.new }}人，解除管控{{ items.released.new }}人。")
    heading(document, "一、分单位情况")
    children_table(document, [
        ("单位", "{{ row.name }}", "合计"),
        ("集中隔离", "{{ row.items.isolated_total }}", "{{ items.isolated_total }}"),
        ("密接", "{{ row.items.isolated_close_contacts }}", "{{ items.isolated_close_contacts }}"),
        ("次密接", "{{ row.items.isolated_secondary_contacts }}", "{{ items.isolated_secondary_contacts }}"),
        ("境外返回", "{{ row.items.isolated_inbound }}", "{{ items.isolated_inbound }}"),
        ("其他中高风险区", "{{ row.items.isolated_others }}", "{{ items.isolated_others }}"),
        ("居家管控", "{{ row.items.home_controlled }}", "{{ items.home_controlled }}"),
    ])
    signature(document, ISSUER, "{{ issue_date }}")
    return to_bytes(document)


def four_categories():
    """重点人员排查情况 in the shape of 000:34 and 000:388."""
    document = new_document("{{ unit_name }}重点人员排查情况")
    title(document, "{{ unit_name }}重点人员排查情况")
    blank(document)
    body(document, "截至{{ as_of_text }}共计摸排“四类人员”{{ items.key_persons.cumulative }}人"
                   "（其中密切接触者{{ items.close_contacts.cumulative }}人），安排专人密切关注，跟踪监测体温，"
                   "及时记录归档并做好相关处置工作。")
    body(document, "截至{{ as_of_text }}，全{{ area_word }}共登记武汉返乡人员{{ items.wuhan_returnees.cumulative }}人"
                   "（其中当日新登记{{ items.wuhan_returnees.new }}人），湖北省返乡人员{{ items.hubei_returnees.cumulative }}人，"
                   "已过观察期{{ items.released.cumulative }}人；其余处于观察期的{{ items.under_control }}人，"
                   "由村（社区）、属地医疗单位分包责任人每天定时定点上门做好体温监测、人员监控工作。")
    body(document, COMPLETENESS)
    signature(document, ISSUER, "{{ issue_date }}")
    return to_bytes(document)


@dataclass(frozen=True)
class Preset:
    code: str
    name: str
    description: str
    build: Callable[[], bytes]


PRESETS = [
    Preset("situation-2020", "疫情防控工作情况汇报",
           "累计摸排湖北省返乡人员、武汉返乡人员、当日新发登记、解除随访、密切接触者，报送情况与有事报事"
           "（依据002:15的写法）。", situation_2020),
    Preset("bulletin", "疫情防控工作简报",
           "红头简报：期数、编发单位和日期、主要数字、分单位情况表、有事报事（000:404）。", bulletin),
    Preset("isolation-census", "集中隔离人员情况",
           "正在集中隔离人数及其构成（密接、次密接、境外返回、其他中高风险区），分单位列表（003:136）。",
           isolation_census),
    Preset("four-categories", "重点人员排查情况",
           "“四类人员”、武汉返乡人员和已过观察期人数（000:34、000:388）。", four_categories),
]
