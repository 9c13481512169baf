"""Vensim macros in the ensemble engine: each call is expanded where it is used.

PySD's translator puts each ``:MACRO: NAME(parameters) ... :END OF MACRO:`` block in a
section of its own (``type == "macro"``, ``params``, ``returns``). At every call
``NAME(arguments)`` the engine writes one statement per argument and one per element of
the macro, all named after the call (``_macro_<caller>_<n>__<element>``), so each call
has its own stocks, delays and smooths, as in Vensim. The call's value is the macro's
element of the same name. Macros with extra outputs (``NAME(x : out)``) and macros
called inside subscripted equations are refused.
"""

from __future__ import annotations

from .ensemble_spec import Statement


class MacroSection:
    """One macro: its parameters and elements, with PySD's cleaned names."""

    def __init__(self, section):
        from pysd.builders.python.namespace import NamespaceManager

        self.name = section.name
        self.parameters = list(section.params)
        self.returns = list(section.returns)
        self.elements = list(section.elements)
        namespace = NamespaceManager()
        for name in [*self.parameters, *(element.name for element in self.elements)]:
            namespace.add_to_namespace(name)
        # PySD's cleaned reference -> py name, and each real name -> its cleaned reference.
        self.cleanspace = dict(namespace.cleanspace)
        by_identifier = {identifier: clean for clean, identifier in self.cleanspace.items()}
        self.references = {name: by_identifier[namespace.namespace[name]]
                           for name in [*self.parameters,
                                        *(element.name for element in self.elements)]}


def expand_call(translator, macro: MacroSection, arguments) -> str:
    """Statements of one call of ``macro`` from ``translator``'s equation; returns the
    identifier of its value."""
    element_translator = type(translator)  # the translator's own class (no import cycle)

    if macro.returns:
        raise translator.fail(f"the macro {macro.name} with several outputs")
    if translator.context:
        raise translator.fail(f"the macro {macro.name} in a subscripted equation")
    if len(arguments) != len(macro.parameters):
        raise translator.fail(f"the macro {macro.name} with {len(arguments)} arguments "
                              f"instead of {len(macro.parameters)}")
    builder = translator.builder
    prefix = builder.new_name(translator.identifier, "_macro")
    scope = {clean: f"{prefix}__{identifier}"
             for clean, identifier in macro.cleanspace.items()}
    spec = builder.specification
    for parameter, argument in zip(macro.parameters, arguments, strict=True):
        code = translator.expression(argument)
        target = scope[macro.references[parameter]]
        spec.loop[target] = Statement((target,), f"{target} = {code}",
                                      frozenset(translator.dependencies), translator.element)
    for element in macro.elements:
        if len(element.components) != 1 or element.components[0].subscripts != ([], []):
            raise translator.fail(f"the macro {macro.name} with subscripts")
        target = scope[macro.references[element.name]]
        inner = element_translator(builder, translator.element, target)
        inner.scope = scope
        code = inner.expression(element.components[0].ast)
        spec.loop[target] = Statement((target,), f"{target} = {code}",
                                      frozenset(inner.dependencies), translator.element)
    result = scope.get(macro.name)
    if result is None:
        raise translator.fail(f"the macro {macro.name} without an element named after it")
    translator.dependencies.add(result)
    return result
