"""The message catalogue: every phrase and sentence qdsim shows, in Chinese and English.

Each entry is a template id -> (Chinese, English). A sentence is its id plus the numbers
it holds (``message(id, lang, **values)``); the numbers are never written into the
templates, and one language is never made by parsing the other. Reports, the plan check,
solve's sentences and the command line's closing lines all render from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module at start-up; keep it light
    import xarray as xr

TEXT: dict[str, tuple[str, str]] = {
    # key: (Chinese, English)
    "report_title": ("青岛市情景模拟报告", "Qingdao scenario report"),
    "report_subtitle": ("“十四五”规划与2035年远景目标能否实现",
                        "Are the 14th Five-Year Plan and the 2035 vision reachable?"),
    "scorecard": ("目标评估", "Target scorecard"),
    "charts": ("图表", "Charts"),
    "comparison": ("情景比较", "Scenario comparison"),
    "fan": ("不确定性区间", "Uncertainty fans"),
    "pyramid": ("人口金字塔", "Population pyramid"),
    "pyramid_axis": ("人数（万人）", "Residents (10,000 persons)"),
    "pyramid_age": ("年龄（岁）", "Age (years)"),
    "male": ("男", "Men"),
    "female": ("女", "Women"),
    "tables": ("预测表", "Projection tables"),
    "assumptions": ("情景假设", "Scenario assumptions"),
    "provenance": ("来源与版本", "Provenance"),
    "observations": ("观测值来源", "Observations shown"),
    "scenario": ("情景", "scenario"),
    "target": ("目标", "target"),
    "when": ("时间", "when"),
    "unit": ("单位", "unit"),
    "indicator": ("指标", "indicator"),
    "variable": ("变量", "variable"),
    "statistic": ("统计量", "statistic"),
    "projected": ("预测值", "projected"),
    "projected_p05": ("预测值5%分位", "projected 5%"),
    "projected_p95": ("预测值95%分位", "projected 95%"),
    "target_value": ("目标值", "target value"),
    "gap": ("差距", "gap"),
    "probability": ("达标概率", "P(met)"),
    "verdict": ("结论", "verdict"),
    "first_year": ("首次达到年份（达到者的中位数）", "first year met (median of draws meeting it)"),
    "samples": ("样本数", "samples"),
    "met": ("达到", "met"),
    "missed": ("未达到", "missed"),
    "not_set": ("未设定", "not set"),
    "value": ("数值", "value"),
    "median": ("中位数", "median"),
    "central": ("中心运行", "central run"),
    "p05": ("5%分位", "5%"),
    "p95": ("95%分位", "95%"),
    "band50": ("50%区间", "50% band"),
    "band90": ("90%区间", "90% band"),
    "mean_2021_2025": ("2021-2025年均", "mean 2021-2025"),
    "mean_2026_2035": ("2026-2035年均", "mean 2026-2035"),
    "mean_2016_2020": ("2016-2020年均", "mean 2016-2020"),
    "observed": ("观测值", "observed"),
    "plan_target": ("规划目标", "plan target"),
    "projection": ("预测", "projection"),
    "year": ("年份", "year"),
    "parameter": ("参数", "parameter"),
    "origin": ("来源", "origin"),
    "description": ("说明", "description"),
    "origin_scenario": ("情景文件设定", "set in the scenario file"),
    "origin_sampled": ("抽样（中位数，5%-95%）", "sampled (median, 5%-95%)"),
    "origin_default": ("模型默认值", "model default"),
    "defaults_title": ("其余参数采用模型默认值", "Every other parameter keeps the model default"),
    "summary": ("汇总", "Summary"),
    "file": ("文件", "file"),
    "model_sha256": ("模型文件哈希", "model file hash"),
    "scenario_sha256": ("情景哈希", "scenario hash"),
    "qdsim_version": ("qdsim版本", "qdsim version"),
    "engine": ("计算引擎", "engine"),
    "time_step": ("时间步长（年）", "time step [year]"),
    "created_utc": ("结果生成时间（UTC）", "results created (UTC)"),
    "seed": ("随机种子", "seed"),
    "calibration": ("校准", "calibration"),
    "not_recorded": ("结果文件未记录", "not recorded in the results"),
    "report_created": ("报告生成时间（UTC）", "report created (UTC)"),
    "report_version": ("报告所用qdsim版本", "qdsim version of the report"),
    "source": ("来源", "source"),
    "catalogue_differs": (
        "注意：参数单位与说明取自当前模型文件，其哈希与生成结果的模型不同。",
        "Note: parameter units and descriptions come from the current model file, whose hash"
        " differs from the model that produced these results."),
    "averages_note": (
        "年均值为各年数值的算术平均；批量结果给出各样本统计量的中位数及5%、95%分位数。",
        "Period means are arithmetic means of the yearly values; for batches the median and"
        " the 5% and 95% quantiles over samples of each statistic are given."),
    "scorecard_note": (
        "单次运行显示达到或未达到；批量运行显示达标概率（达到目标的样本比例）。",
        "Single runs show met or missed; batches show P(met), the share of samples meeting"
        " the target."),
    # The calibration a scenario inherits
    "calibration_inherited": ("各情景继承的校准", "Calibration each scenario inherits"),
    "calibration_none": ("不继承校准的情景", "scenarios inheriting no calibration"),
    "calibration_not_recorded": ("结果文件未记录所继承校准的情景（较早的结果文件）",
                                 "scenarios whose results do not record a calibration"
                                 " (written by an earlier qdsim)"),
    "calibration_file": ("校准文件", "calibration file"),
    "date_utc": ("校准时间（UTC）", "calibrated (UTC)"),
    "data_file": ("观测数据文件", "data file"),
    "data_sha256": ("观测数据哈希", "data hash"),
    "window": ("拟合年份", "years fitted"),
    "chi_square": ("卡方", "chi-square"),
    "calibration_model_sha256": ("校准所用模型哈希", "model hash of the calibration"),
    "warning": ("警告", "Warning"),
    "calibration_other_model": (
        "情景“{scenario}”继承的校准（{file}）是用另一版本的模型文件做的（模型哈希{calibrated}，"
        "结果的模型哈希为{results}）；请重新运行 qdsim calibrate 并重新运行情景。",
        "scenario '{scenario}' inherits a calibration ({file}) made with another version of the"
        " model file (model hash {calibrated}; the results' is {results}); rerun"
        " `qdsim calibrate`, then the scenarios."),
    "calibration_warning_banner": (
        "注意：有情景继承的校准与结果所用模型不一致，见“来源与版本”。",
        "Note: a scenario inherits a calibration made with another model file; see"
        " Provenance."),
    # What it would take (saved analyses)
    "analyses": ("实现目标需要什么", "What it would take"),
    "analysis_solve": ("恰好实现目标所需的假设", "The assumption that just meets a target"),
    "analysis_frontier": ("恰好实现目标的假设组合", "Combinations that just meet a target"),
    "analysis_sensitivity": ("敏感性：Sobol指数", "Sensitivity: Sobol indices"),
    "analysis_attribution": ("情景差异的分解", "What explains the difference"),
    "analysis_plan_check": ("规划目标一致性检查", "Plan consistency check"),
    "analysis_file": ("分析文件", "analysis file"),
    "analyses_note": (
        "以下分析由 qdsim solve、sensitivity、attribute 和 check-plan 计算并保存，与结果使用同一"
        "模型文件；报告只展示，不重新计算。",
        "Computed and saved by qdsim solve, sensitivity, attribute and check-plan with the"
        " results' model file; the report shows them and computes nothing."),
    "item": ("项目", "item"),
    "mode": ("变化方式", "mode"),
    "amount": ("变化量（自2021年起）", "amount (from 2021)"),
    "value_2025": ("2025年取值", "value in 2025"),
    "search_range": ("搜索范围", "range searched"),
    "calibrated_estimate": ("2016-2020年校准值", "2016-2020 calibrated value"),
    "calibrated_q05": ("校准后验5%分位", "calibration posterior 5%"),
    "calibrated_q95": ("校准后验95%分位", "calibration posterior 95%"),
    "mode_value": ("取值", "value"),
    "mode_shift": ("平移", "shift"),
    "mode_scale": ("缩放", "scale"),
    "frontier_title": ("{scenario}：恰好实现“{target}”的组合", "{scenario}: combinations that"
                       " just meet “{target}”"),
    "frontier_note": ("每一行是恰好实现目标的一组数值（空白：允许范围内无解）；自2021年起变化。",
                      "Each row is a combination that just meets the target (blank: no value"
                      " in the allowed range does); changes apply from 2021."),
    "no_solution": ("无解", "no value"),
    "sensitivity_title": ("{scenario}：“{target}”差距的Sobol指数（{runs}次运行，95%置信区间）",
                          "{scenario}: Sobol indices of the gap to “{target}” ({runs} runs,"
                          " 95% confidence)"),
    "sensitivity_years_title": ("{variable}各年数值的总效应指数ST",
                                "Total index ST of each year's {variable}"),
    "sensitivity_note": (
        "S1：该因素单独解释的方差份额；ST：包括交互作用在内的份额。误差线为95%置信区间。",
        "S1: share of the variance a factor explains alone; ST: including its interactions."
        " Error bars are 95% confidence intervals."),
    "sensitivity_omitted": ("另有{count}个因素的ST始终低于{limit}，未画出。",
                            "{count} more factors with ST below {limit} throughout are not"
                            " drawn."),
    "factor": ("因素", "factor"),
    "S1": ("一阶指数S1", "first order S1"),
    "S1_conf": ("S1 ±（95%）", "S1 ± (95%)"),
    "ST": ("总效应指数ST", "total ST"),
    "ST_conf": ("ST ±（95%）", "ST ± (95%)"),
    "calibration_posterior": ("校准后验（联合抽样）", "calibration posterior (joint draws)"),
    "index": ("指数", "index"),
    "attribution_title": ("“{target}”：{scenario}与{reference}之差的分解",
                          "“{target}”: {scenario} vs {reference}"),
    "attribution_values": (
        "{reference}为{reference_value}，{scenario}为{scenario_value}（{unit}）：差值{difference}。",
        "{reference} {reference_value}, {scenario} {scenario_value} [{unit}]: difference"
        " {difference}."),
    "attribution_sums": (
        "各参数的Shapley值之和等于该差值；单独改变各参数的效果之和为{single}（差额{interaction}"
        "来自参数间的交互作用）。",
        "The parameters' Shapley values add up to it; changing one parameter at a time adds"
        " up to {single} (the remaining {interaction} comes from interactions)."),
    "attribution_axis": ("对差值的贡献", "contribution to the difference"),
    "one_at_a_time": ("单独改变", "one at a time"),
    "shapley": ("Shapley值", "Shapley"),
    "total": ("合计", "total"),
    "difference": ("差值", "difference"),
    "check": ("检查项", "check"),
    "implied": ("规划数字推算值", "implied"),
    "comparison_value": ("对照值", "comparison"),
    "explanation": ("说明", "explanation"),
    "consistent": ("一致", "consistent"),
    "tension": ("存在张力", "tension"),
    "contradiction": ("矛盾", "contradiction"),
    "plan_check_note": (
        "规划2025年的各项数字通过模型的恒等关系相互对照：推算值与对照值及其结论。",
        "The plan's 2025 figures set against each other through the model's identities:"
        " what they imply, what it is compared with, and the verdict."),
    "english_only": ("（说明为英文原文）", "(explanation as written)"),
    # -- command line -------------------------------------------------------------------
    "wrote_files": ("已写入{count}个文件到{folder}", "wrote {count} files to {folder}"),
    "wrote_report": ("已写入{count}个文件到{folder}；请打开{html}",
                     "wrote {count} files to {folder}; open {html}"),
    "by_year": ("{year}年前", "by {year}"),
    # -- solve (qdsim.whatif.solve; {goal} names the target) ---------------------------
    "solve_goal": ("“{name}”（{id}）", "{id}"),
    "solve_none": (
        "{scenario}：{parameter}（{mode}）在允许范围[{low:g}, {high:g}]内没有数值能实现{goal}；"
        "最好的结果是在取{best_amount:g}时达到{best:,.2f}{unit}。",
        "{scenario}: no value of {parameter} ({mode}) in [{low:g}, {high:g}] meets {goal};"
        " the best reaches {best:,.2f} {unit} at {best_amount:g}."),
    "solve_met_value": (
        "{scenario}：自{start}年起{parameter}取值为{amount:.6g} {parameter_unit}时恰好实现{goal}"
        "（{year}年取值：{value:.6g} {parameter_unit}）。",
        "{scenario}: {goal} is just met when {parameter} is {amount:.6g} {parameter_unit} from"
        " {start} (value in {year}: {value:.6g} {parameter_unit})."),
    "solve_met_shift": (
        "{scenario}：自{start}年起{parameter}平移{amount:.6g}时恰好实现{goal}（{year}年取值："
        "{value:.6g} {parameter_unit}）。",
        "{scenario}: {goal} is just met when {parameter} is shifted by {amount:.6g} from"
        " {start} (value in {year}: {value:.6g} {parameter_unit})."),
    "solve_met_scale": (
        "{scenario}：自{start}年起{parameter}乘以{amount:.6g}时恰好实现{goal}（{year}年取值："
        "{value:.6g} {parameter_unit}）。",
        "{scenario}: {goal} is just met when {parameter} is scaled by {amount:.6g} from"
        " {start} (value in {year}: {value:.6g} {parameter_unit})."),
    "solve_calibrated": (
        "  2016-2020年校准值为{estimate:.6g}（90%区间{q05:.6g}-{q95:.6g}）：所需数值{ratio}{where}",
        "  2016-2020 calibrated value {estimate:.6g} (90% interval {q05:.6g}-{q95:.6g}): the"
        " need is{ratio}{where}"),
    "solve_ratio": ("是校准值的{ratio:.2f}倍，", " {ratio:.2f} times the calibrated value,"),
    "solve_inside": ("在2016-2020年区间之内。", " inside the 2016-2020 interval."),
    "solve_outside": ("超出2016-2020年区间。", " outside the 2016-2020 interval."),
    "solve_related": (
        "  这意味着2021-2025年{variable}每年{plan:,.2f}{unit}，是2016-2020年平均值"
        "（{history:,.2f}{unit}）的{ratio:.2f}倍。",
        "  That means {variable} of {plan:,.2f} {unit} a year in 2021-2025, {ratio:.2f} times"
        " the 2016-2020 average ({history:,.2f} {unit})."),
    "solve_note": ("  注：{note}", "  note: {note}"),
    "note_no_value": ("允许范围内没有数值能实现该目标",
                      "no value in the allowed range meets the target"),
    "note_crossings": ("该目标在范围内被穿越{count}次；给出的是最低的一次",
                       "the target is crossed {count} times in the range; the lowest crossing"
                       " is given"),
    # -- plan check (qdsim.plan_check; values from the targets file and the plan run) ----
    "check_employment.name": (
        "GDP与劳动生产率隐含的就业人数 vs 常住人口隐含的劳动力",
        "employment implied by GDP and productivity vs labour force implied by population"),
    "check_employment.explanation": (
        "到{year}年年均增长{growth:g}%、全员劳动生产率{productivity:g}万元/人，需要就业"
        "{employment:.1f}万人；{population:g}万常住人口按规划情景的劳动力占比（{labour_share:.1f}%）"
        "计算，劳动力为{labour_force:.1f}万人。就业人数需占常住人口的{employment_share:.1f}%，"
        "而{base_year}年为{employment_share_base:.1f}%。",
        "{growth:g}% growth to {year} and {productivity:g}万元 per worker need"
        " {employment:.1f}万 employed; {population:g}万 residents with the plan run's"
        " labour-force share ({labour_share:.1f}%) give a labour force of {labour_force:.1f}万."
        " Employment would need {employment_share:.1f}% of residents, against"
        " {employment_share_base:.1f}% in {base_year}."),
    "check_migration.name": ("实现{population:g}万所需的净迁入 vs 2016-2020年净迁入",
                             "net migration needed for {population:g}万 vs 2016-2020 net"
                             " migration"),
    "check_migration.explanation": (
        "按规划情景的自然增长（2021-{year}年共{natural:.1f}万人），达到{population:g}万需每年净迁入"
        "{migration:.1f}万人，是模型2016-2020年平均值{history:.1f}万人的{ratio:.1f}倍。",
        "With the plan run's natural increase ({natural:.1f}万 over 2021-{year}),"
        " {population:g}万 needs {migration:.1f}万 net migrants a year, {ratio:.1f} times the"
        " model's 2016-2020 average of {history:.1f}万."),
    "check_jobs.name": ("城镇新增就业 vs 就业人数净增加",
                        "gross new jobs vs net employment change"),
    "check_jobs.explanation": (
        "城镇新增就业{new_jobs:g}万人、就业净增{net_change:.1f}万人（由GDP与劳动生产率推算），"
        "意味着减少{lost:.1f}万个岗位，每年占就业的{lost_rate:.1f}%。2016-2020年城镇新增就业"
        "{history:.1f}万人：2021-{year}年目标是其{ratio:.2f}倍，说明统计口径可能更宽。",
        "{new_jobs:g}万 new jobs and a net gain of {net_change:.1f}万 (GDP/productivity) imply"
        " {lost:.1f}万 jobs lost, {lost_rate:.1f}% of employment a year. 2016-2020 recorded"
        " {history:.1f}万 new jobs: the 2021-{year} figure is {ratio:.2f} times that, which"
        " suggests a wider definition."),
    "check_growth.name": ("隐含的就业增速 vs 人口增速",
                          "employment growth implied vs population growth"),
    "check_growth.explanation": (
        "年均增长{growth:g}%而劳动生产率每年提高{productivity_growth:.2f}%，需要就业每年增长"
        "{employment_growth:.2f}%；而{population:g}万常住人口意味着人口每年增长"
        "{population_growth:.2f}%。",
        "{growth:g}% growth with productivity rising {productivity_growth:.2f}% a year needs"
        " employment to grow {employment_growth:.2f}% a year while {population:g}万 means"
        " population growth of {population_growth:.2f}% a year."),
    "usd_map.title": ("{scenario}：{year}年人均生产总值超过{threshold:,.0f}美元的概率（%）",
                      "{scenario}: P(GDP per head > {threshold:,.0f} USD in {year}), % of draws"),
    "usd_map.inflation_axis": ("2021年起GDP平减指数年涨幅 [%/年]",
                               "GDP deflator inflation from 2021 [%/yr]"),
    "usd_map.rate_axis": ("{year}年人民币兑美元汇率 [元/美元]", "CNY per USD in {year}"),
    "usd_map.probability": ("达标概率", "P(met)"),
    "check_urbanization.name": ("城镇化率目标 vs {base_year}年水平",
                                "urbanization target vs {base_year} level"),
    "check_urbanization.explanation": (
        "规划表1以普查前口径的{base_year}年{table:.1f}%为基础，设定{year}年约{target:.0f}%；"
        "第七次人口普查显示{base_year}年已达{census:.2f}%，按普查口径目标已经实现。",
        "Table 1 sets about {target:.0f}% for {year} from a pre-census {base_year} value of"
        " {table:.1f}%; the 7th census put {base_year} at {census:.2f}%, so the target was"
        " already exceeded on the census basis."),
    # the what-if explorer's own page (qdsim explore)
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
    "Output by sector": ("分产业产出", "Output by sector"),
    "Other": ("其他", "Other"),
}


def text(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang`` (zh or en), as a template."""
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def message(key: str, lang: str, **values: object) -> str:
    """The sentence ``key`` in ``lang`` (zh or en) with its ``values`` filled in."""
    return text(key, lang).format(**values)


def scenario_title(dataset: xr.Dataset, scenario: str, lang: str) -> str:
    """The scenario's title from the results' ``title_zh``/``title_en`` coordinates."""
    coordinate = "title_zh" if lang == "zh" else "title_en"
    if coordinate in dataset.coords:
        title = str(dataset[coordinate].sel(scenario=scenario).item())
        if title and title != "nan":
            return title
    return scenario
