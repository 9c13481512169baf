"""Sentences of the analyses in the report's language.

Every sentence comes from the message catalogue (``qdsim.messages``) as a template id and
its numbers: solve's sentences through ``qdsim.analysis_output.solution_text``, the plan
check's names and explanations through the ``key`` and ``values`` each check saves. A
plan check saved without them (by an older version) is shown as written, in English.
"""

from __future__ import annotations

from qdsim.messages import message


def check_text(check: dict, lang: str) -> tuple[str, str, bool]:
    """(name, explanation, whether both are in ``lang``) of a saved plan check."""
    if check.get("key"):
        values = check.get("values") or {}
        return (message(f"check_{check['key']}.name", lang, **values),
                message(f"check_{check['key']}.explanation", lang, **values), True)
    explained, translated = explanation(check["explanation"], lang)
    return check["name"], explained, translated


def explanation(text: str, lang: str) -> tuple[str, bool]:
    """(explanation as written, whether it is in ``lang``): saved text is English."""
    return text, lang != "zh"
