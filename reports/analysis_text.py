"""Sentences of the analyses in the report's language.

English reuses the command line's own wording (``qdsim.analysis_output.solution_text`` and
the plan check's explanations). Chinese is written here with the same numbers; the plan
check's explanations are matched against the English templates of ``qdsim.plan_check``
and rewritten in Chinese with the numbers they hold. An explanation that matches no
template (the wording in ``qdsim.plan_check`` changed) is shown as written, in English.
"""

from __future__ import annotations

import re

from qdsim.analysis_output import calibrated_comparison
from qdsim.targets import Target
from qdsim.units import display
from qdsim.variables import output_name, output_unit

MODES_ZH = {"value": "取值为", "shift": "平移", "scale": "乘以"}
MODE_NAMES_ZH = {"value": "取值", "shift": "平移", "scale": "缩放"}


NOTES_ZH = (
    (re.compile(r"^no value in the allowed range meets the target$"),
     "允许范围内没有数值能实现该目标"),
    (re.compile(r"^the target is crossed (?P<n>\d+) times in the range; the lowest crossing"
                r" is given$"), "该目标在范围内被穿越{n}次；给出的是最低的一次"),
)


def note_zh(note: str) -> str:
    """A solver note in Chinese (as written when it is not a known one)."""
    for pattern, zh in NOTES_ZH:
        found = pattern.match(note)
        if found:
            return zh.format(**found.groupdict())
    return note


def solution_text_zh(payload: dict, target: Target, parameter_unit: str) -> str:
    """``solution_text`` in Chinese: the value needed, against the 2016-2020 calibration."""
    solution = payload["solution"]
    name = solution["parameter"]
    scenario = payload["scenario"]
    goal = f"“{target.name_zh}”（{target.id}）"
    if solution["amount"] is None:
        label, factor = display(target.unit, "zh")
        low, high = solution["search_range"]
        return (f"{scenario}：{name}（{MODE_NAMES_ZH.get(solution['mode'], solution['mode'])}）"
                f"在允许范围[{low:g}, {high:g}]内没有数值能实现{goal}；最好的结果是在取"
                f"{solution['best_amount']:g}时达到{solution['best_projected'] * factor:,.2f}"
                f"{label}。")
    amount = f"{solution['amount']:.6g}"
    change = (f"取值为{amount} {parameter_unit}" if solution["mode"] == "value"
              else f"{MODES_ZH.get(solution['mode'], solution['mode'])}{amount}")
    lines = [f"{scenario}：自2021年起{name}{change}时恰好实现{goal}（2025年取值："
             f"{solution['value_2025']:.6g} {parameter_unit}）。"]
    calibrated = payload.get("calibrated")
    if calibrated:
        ratio, inside = calibrated_comparison(solution, calibrated)
        lines.append(f"  2016-2020年校准值为{calibrated['estimate']:.6g}（90%区间"
                     f"{calibrated['q05']:.6g}-{calibrated['q95']:.6g}）：所需数值"
                     + (f"是校准值的{ratio:.2f}倍，" if ratio else "")
                     + ("在" if inside else "超出") + "2016-2020年区间"
                     + ("之内。" if inside else "。"))
    related = payload.get("related")
    if related:
        label, factor = display(output_unit(related["variable"]), "zh")
        ratio = related["mean_2021_2025"] / related["mean_2016_2020"]
        lines.append(f"  这意味着2021-2025年{output_name(related['variable'], 'zh')}每年"
                     f"{related['mean_2021_2025'] * factor:,.2f}{label}，是2016-2020年平均值"
                     f"（{related['mean_2016_2020'] * factor:,.2f}{label}）的{ratio:.2f}倍。")
    lines += [f"  注：{note_zh(note)}" for note in solution.get("notes", [])]
    return "\n".join(lines)


#: Check name -> Chinese name (``qdsim.plan_check.check_plan``).
CHECK_NAMES_ZH = {
    "employment implied by GDP and productivity vs labour force implied by population":
        "GDP与劳动生产率隐含的就业人数 vs 常住人口隐含的劳动力",
    "net migration needed for 1100万 vs 2016-2020 net migration":
        "实现1100万所需的净迁入 vs 2016-2020年净迁入",
    "gross new jobs vs net employment change": "城镇新增就业 vs 就业人数净增加",
    "employment growth implied vs population growth": "隐含的就业增速 vs 人口增速",
    "urbanization target vs 2020 level": "城镇化率目标 vs 2020年水平",
}

#: (English template, Chinese template) of each explanation; {x} stands for a number.
EXPLANATIONS = (
    ("7% growth to 2025 and 25万元 per worker need {a}万 employed; 1100万 residents with the"
     " plan run's labour-force share ({b}%) give a labour force of {c}万. Employment would"
     " need {d}% of residents, against {e}% in 2020.",
     "到2025年年均增长7%、全员劳动生产率25万元/人，需要就业{a}万人；1100万常住人口按规划情景的"
     "劳动力占比（{b}%）计算，劳动力为{c}万人。就业人数需占常住人口的{d}%，而2020年为{e}%。"),
    ("With the plan run's natural increase ({a}万 over 2021-2025), 1100万 needs {b}万 net"
     " migrants a year, {c} times the model's 2016-2020 average of {d}万.",
     "按规划情景的自然增长（2021-2025年共{a}万人），达到1100万需每年净迁入{b}万人，是模型"
     "2016-2020年平均值{d}万人的{c}倍。"),
    ("175万 new jobs and a net gain of {a}万 (GDP/productivity) imply {b}万 jobs lost, {c}% of"
     " employment a year. 2016-2020 recorded {d}万 new jobs: the 2021-2025 figure is {e}"
     " times that, which suggests a wider definition.",
     "城镇新增就业175万人、就业净增{a}万人（由GDP与劳动生产率推算），意味着减少{b}万个岗位，"
     "每年占就业的{c}%。2016-2020年城镇新增就业{d}万人：2021-2025年目标是其{e}倍，说明统计"
     "口径可能更宽。"),
    ("7% growth with productivity rising {a}% a year needs employment to grow {b}% a year"
     " while 1100万 means population growth of {c}% a year.",
     "年均增长7%而劳动生产率每年提高{a}%，需要就业每年增长{b}%；而1100万常住人口意味着人口"
     "每年增长{c}%。"),
    ("Table 1 sets about {a}% for 2025 from a pre-census 2020 value of {b}%; the 7th census"
     " put 2020 at {c}%, so the target was already exceeded on the census basis.",
     "规划表1以普查前口径的2020年{b}%为基础，设定2025年约{a}%；第七次人口普查显示2020年已达"
     "{c}%，按普查口径目标已经实现。"),
)
NUMBER = r"-?[0-9][0-9,]*(?:\.[0-9]+)?"


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>{NUMBER})"
                      for index, part in enumerate(parts))
    return re.compile(f"^{pattern}$")


EXPLANATION_PATTERNS = tuple((_template_pattern(en), zh) for en, zh in EXPLANATIONS)


def check_name(name: str, lang: str) -> str:
    """A plan check's name in ``lang`` (as written when no translation is known)."""
    return CHECK_NAMES_ZH.get(name, name) if lang == "zh" else name


def explanation(text: str, lang: str) -> tuple[str, bool]:
    """(explanation in ``lang``, whether it is in ``lang``): English is returned as is."""
    if lang != "zh":
        return text, True
    for pattern, zh in EXPLANATION_PATTERNS:
        found = pattern.match(text.strip())
        if found:
            return zh.format(**found.groupdict()), True
    return text, False
