"""The built-in situation-report templates: written with python-docx in official-document style,
each renders, and loading them never touches a code that exists."""

import io

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from fangkong.reports.models import ReportTemplate
from fangkong.reports.services.docx_presets import PRESETS
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.situation import render_situation, sample_context
from fangkong.reports.services.templates import latest_template, load_template_presets

CODES = ["situation-2020", "bulletin", "isolation-census", "four-categories"]


def east_asian_font(style):
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


@pytest.mark.parametrize("code", CODES)
def test_each_built_in_template_renders_with_the_sample_figures(db, code):
    template = latest_template(code)
    assert template.is_preset and template.version == 1 and template.file_name == f"{code}.docx"
    context = sample_context(form_in_force("daily"))
    document = docx.Document(io.BytesIO(render_situation(template, context)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "城关镇" in text and "{{" not in text and "{%" not in text
    assert document.core_properties.title.startswith("城关镇")


def test_the_2020_template_has_the_002_sentence_with_tags(db):
    document = docx.Document(io.BytesIO(bytes(latest_template("situation-2020").content)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert ("截至{{ as_of_text }}，全{{ area_word }}累计摸排湖北省返乡人员{{ items.hubei_returnees.cumulative }}人，"
            "其中武汉返乡人员{{ items.wuhan_returnees.cumulative }}人，当日新发登记人数{{ items.key_persons.new }}人，"
            "解除随访人数{{ items.released.new }}人。到目前为止，已有密切接触者{{ items.close_contacts.cumulative }}人") in text


def test_the_bulletin_table_loops_over_the_child_units_in_a_row(db):
    document = docx.Document(io.BytesIO(bytes(latest_template("bulletin").content)))
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]
    assert "{%tr for row in children %}" in cells and "{%tr endfor %}" in cells and "{{ row.name }}" in cells


def test_the_templates_are_in_official_document_style(db):
    document = docx.Document(io.BytesIO(bytes(latest_template("situation-2020").content)))
    normal = document.styles["Normal"]
    assert east_asian_font(normal) == "仿宋_GB2312" and normal.font.size == Pt(16)
    assert normal.paragraph_format.first_line_indent == Pt(32)
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.paragraph_format.line_spacing == Pt(28)
    title = document.paragraphs[0]
    assert title.style.name == "公文标题" and east_asian_font(title.style) == "方正小标宋简体"
    assert title.style.font.size == Pt(22) and title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    headings = {p.style.name: east_asian_font(p.style) for p in document.paragraphs if p.text and p.text[0] in "一（"}
    assert headings == {"一级标题": "黑体", "二级标题": "楷体_GB2312"}
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297


def test_loading_creates_only_missing_codes_and_never_touches_an_existing_one(db):
    ReportTemplate.objects.filter(code="bulletin").update(name="改过的简报", content=b"edited")
    ReportTemplate.objects.filter(code="isolation-census").delete()
    assert load_template_presets() == ["isolation-census"]
    bulletin = ReportTemplate.objects.get(code="bulletin")
    assert bulletin.name == "改过的简报" and bytes(bulletin.content) == b"edited"
    assert ReportTemplate.objects.filter(code="isolation-census", version=1, is_preset=True).count() == 1
    assert load_template_presets() == []
    assert sorted(ReportTemplate.objects.values_list("code", flat=True)) == sorted(p.code for p in PRESETS)
