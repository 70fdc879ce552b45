"""Uploading a template: the next version of its code, used from then on; a file that is not a
Word document or whose tags do not render is refused with the reason in Chinese, and nothing
is stored."""

import io

import docx
import pytest
from django.core.exceptions import ValidationError

from fangkong.conftest import make_user
from fangkong.reports.models import ReportTemplate
from fangkong.reports.services.situation import write_situation
from fangkong.reports.services.templates import latest_template, template_context_help, upload_template
from fangkong.reports.tests.test_situation_write import AS_OF, NOW, docx_text


def word(*paragraphs):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def clerk(county):
    return make_user("county_clerk", "statistician", county.county)


def test_an_upload_becomes_the_next_version_and_is_used(county, clerk):
    content = word("{{ unit_name }}情况快报", "截至{{ as_of_text }}，在管重点人员{{ items.under_control }}人。")
    template = upload_template("situation-2020", "", content, "情况快报.docx", clerk)
    assert (template.version, template.name, template.uploaded_by) == (2, "疫情防控工作情况汇报", clerk)
    assert latest_template("situation-2020").pk == template.pk
    bulletin = write_situation(county.town, AS_OF, user=clerk, now=NOW)
    assert bulletin.template == template
    assert "截至2022年1月27日12时，在管重点人员0人。" in docx_text(bulletin.content)
    assert ReportTemplate.objects.get(code="situation-2020", version=1).is_preset


def test_a_new_code_starts_at_version_1(db, clerk):
    template = upload_template("checkpoint-weekly", "卡口周报", word("{{ unit_name }}"), "周报.docx", clerk,
                               description="每周一报")
    assert (template.code, template.version, template.description) == ("checkpoint-weekly", 1, "每周一报")


@pytest.mark.parametrize("paragraphs,message", [
    (["{{ items.hubei_returnes.cumulative }}"], "不存在的变量或项目“hubei_returnes”"),
    (["{{ unknown_name }}"], "不存在的变量或项目“unknown_name”"),
    (["{% fro row in children %}"], "无法识别的标签“fro”"),
    (["{%p for event in events %}", "{{ event.text }}"], "缺少 endfor"),
    (["{{ unit_name "], "模板语法错误"),
])
def test_a_template_that_does_not_render_is_refused_in_chinese(db, clerk, paragraphs, message):
    with pytest.raises(ValidationError) as caught:
        upload_template("situation-2020", "", word(*paragraphs), "坏模板.docx", clerk)
    assert message in " ".join(caught.value.messages)
    assert ReportTemplate.objects.filter(code="situation-2020").count() == 1


@pytest.mark.parametrize("content,name,message", [
    (b"not a zip at all", "模板.docx", "不是有效的 Word 文档"),
    (word("{{ unit_name }}"), "模板.doc", "只能上传 Word 文档（.docx）"),
])
def test_a_file_that_is_not_a_docx_is_refused(db, clerk, content, name, message):
    with pytest.raises(ValidationError, match=message):
        upload_template("bulletin", "", content, name, clerk)
    assert ReportTemplate.objects.filter(code="bulletin").count() == 1


def test_a_bad_code_or_a_new_code_without_a_name_is_refused(db, clerk):
    with pytest.raises(ValidationError, match="模板编码只能用小写字母"):
        upload_template("情况汇报", "情况汇报", word("x"), "a.docx", clerk)
    with pytest.raises(ValidationError, match="请填写模板名称"):
        upload_template("new-one", " ", word("x"), "a.docx", clerk)
    assert not ReportTemplate.objects.filter(uploaded_by=clerk).exists()


def test_the_help_lists_the_items_of_the_form(db):
    tags = {row["tag"]: row["label"] for row in template_context_help()}
    assert tags["{{ items.hubei_returnees.cumulative }}"] == "湖北省返乡人员（人）：累计"
    assert tags["{{ items.key_persons.new }}"] == "新登记重点人员（人）：当日新增"
    assert tags["{{ items.isolated_total }}"] == "集中隔离人员（人）"
    assert "{{ as_of_text }}" in tags and "{{ number }}" in tags
