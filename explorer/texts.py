"""Words on the explorer page, in Chinese and English.

Words the reports also use come from the project's catalogue through
``adapter.label``; only the page's own words (buttons, lever panel, sectors) are here.
"""

from __future__ import annotations

from explorer import adapter

LANGUAGES = ("zh", "en")

#: key: (Chinese, English) for words that only the explorer uses.
PAGE_TEXT: dict[str, tuple[str, str]] = {
    "page_title": ("青岛情景探索器", "Qingdao what-if explorer"),
    "page_subtitle": ("移动假设，即时查看每个规划目标的结论与图表",
                      "Move an assumption and see every target's verdict and chart change"),
    "language": ("语言", "Language"),
    "start_scenario": ("起始情景", "Start from scenario"),
    "change_year": ("变化起始年份", "Changes apply from"),
    "uncertainty": ("显示不确定性（1000次抽样）", "Show uncertainty (1,000 draws)"),
    "levers": ("假设（杠杆）", "Assumptions (levers)"),
    "allowed_range": ("允许范围", "allowed range"),
    "scenario_value": ("情景取值", "scenario value"),
    "calibrated_interval": ("2016-2020年校准区间（后验5%-95%）",
                            "2016-2020 calibrated interval (posterior 5%-95%)"),
    "reset": ("恢复情景取值", "Reset to the scenario"),
    "compare_title": ("比较", "Compare"),
    "pin": ("固定当前假设", "Pin this what-if"),
    "add_scenario": ("加入情景", "Add a scenario"),
    "clear_compare": ("清除比较", "Clear comparison"),
    "keep_title": ("保存", "Keep"),
    "export_yaml": ("导出情景YAML", "Export scenario YAML"),
    "export_csv": ("导出表格CSV", "Export tables CSV"),
    "export_xlsx": ("导出表格XLSX", "Export tables XLSX"),
    "whatif": ("当前假设", "this what-if"),
    "pinned": ("固定", "pinned"),
    "changed_levers": ("已改变的假设", "Levers moved"),
    "none_changed": ("未改变任何假设：显示情景本身。", "No lever moved: the scenario as it is."),
    "fixed_note": ("你设定的取值不再参与抽样：", "Your values are not drawn: "),
    "error": ("输入有误", "Input refused"),
    "internal_error": ("计算出错，已记录；请重试或重新加载页面。",
                       "The computation failed and was logged; try again or reload the page."),
    "Population": ("人口", "Population"),
    "Migration": ("迁移", "Migration"),
    "Urbanization": ("城镇化", "Urbanization"),
    "Economy": ("经济", "Economy"),
    "Employment": ("就业", "Employment"),
    "Energy and CO2": ("能源与二氧化碳", "Energy and CO2"),
    "Housing": ("住房", "Housing"),
    "Other": ("其他", "Other"),
}


def text(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang``: the page's own words, else the project catalogue's."""
    if key in PAGE_TEXT:
        zh, en = PAGE_TEXT[key]
        return zh if lang == "zh" else en
    return adapter.label(key, lang)


def check_language(lang: object) -> str:
    """``lang`` if it is zh or en, else en (a tampered value never reaches a lookup)."""
    return lang if lang in LANGUAGES else "en"
