"""Vensim subscripts for the ensemble engine: ranges, the dimensions of each variable, and
the numpy indexing that lines a subscripted reference up with the equation it is used in.

Layout of values in the generated code: a subscripted variable with dimensions
``(d1, ..., dk)`` is an array of shape ``(len(d1), ..., len(dk), m)`` whose last axis is
the ensemble (``m`` is the chunk size, or 1 for a value shared by every run). Putting the
ensemble last lets numpy's broadcasting (which aligns trailing axes) combine scalar values
(shape ``()`` or ``(m,)``) with arrays without any reshaping. The engine's results put the
ensemble axis first (see ``EnsembleModel.run``).

Vensim rules followed (Vensim's manual, "Subscripts"; PySD's builder matches them):

* a variable's dimension at each position is the range that holds every element its
  equations use there (``weight[young] = 1``, ``weight[a2] = 2`` make ``weight[age]``);
* an equation's right side is evaluated over the box its left side names (a range,
  a subrange, or a single element per position) minus its ``:EXCEPT:`` cells;
* a subscript on the right side is matched to the left side's position of the same
  name; otherwise to the position whose elements it contains (a range used for one of its
  subranges or elements), otherwise through a mapping between ranges (``b: b1, b2 -> a``
  pairs elements by position); a single element selects that element; ``r!`` marks a
  position summed (SUM, PROD, VMIN, VMAX) over.
"""

from __future__ import annotations

from dataclasses import dataclass


class SubscriptError(Exception):
    """A subscript use the ensemble engine cannot resolve (caught and reworded by the
    builder, which names the variable)."""


@dataclass(frozen=True)
class Axis:
    """One position of an equation's box: the name written there, the variable's
    dimension, and the elements of that dimension covered, in order."""

    written: str
    dimension: str
    elements: tuple[str, ...]


class Ranges:
    """The subscript ranges of a model: elements, subranges, mappings."""

    def __init__(self, abstract_ranges):
        self.elements: dict[str, tuple[str, ...]] = {}
        self.mappings: dict[str, tuple[str, ...]] = {}
        for subscript_range in abstract_ranges:
            if not isinstance(subscript_range.subscripts, list):
                raise SubscriptError(
                    f"subscript range '{subscript_range.name}' is defined as a copy or read "
                    "from a file, which the ensemble engine does not support")
            mapping = []
            for target in subscript_range.mapping:
                if not isinstance(target, str):
                    raise SubscriptError(
                        f"subscript range '{subscript_range.name}' has a mapping that is not "
                        "by position, which the ensemble engine does not support")
                mapping.append(target)
            self.elements[subscript_range.name] = tuple(subscript_range.subscripts)
            self.mappings[subscript_range.name] = tuple(mapping)
        # Main ranges: not a strict subset of another range (subranges are not dimensions).
        self.main = [name for name, elements in self.elements.items()
                     if not any(set(elements) < set(other)
                                for other in self.elements.values())]

    def named(self, reference: str) -> tuple[str, ...] | None:
        """Elements of the range ``reference`` names (as written, or as PySD's parser
        writes it: lower case with underscores), or None."""
        if reference in self.elements:
            return self.elements[reference]
        for name, elements in self.elements.items():
            if "_".join(name.lower().split()) == reference:
                return elements
        return None

    def members(self, written: str) -> tuple[str, ...]:
        """Elements named by ``written``: a range's elements or one element."""
        if written in self.elements:
            return self.elements[written]
        if any(written in elements for elements in self.elements.values()):
            return (written,)
        raise SubscriptError(f"'{written}' is neither a subscript range nor an element")

    def dimension(self, used: list[str], preferred: list[str]) -> str:
        """The range of exactly the elements ``used`` (one written in ``preferred`` first,
        then a main range), else the main range holding them all."""
        needed = set(used)
        exact = [name for name in [*preferred, *self.main, *self.elements]
                 if name in self.elements and set(self.elements[name]) == needed]
        if exact:
            return exact[0]
        candidates = [name for name in self.main if needed <= set(self.elements[name])]
        if not candidates:
            raise SubscriptError(f"no subscript range holds all of {sorted(needed)}")
        for name in preferred:
            if name in candidates:
                return name
        return candidates[0]

    def mapped(self, source: str, target: str) -> bool:
        """Whether ``source: ... -> target`` declares a mapping (Vensim: an equation over
        ``target`` may read a variable subscripted by ``source``)."""
        return target in self.mappings.get(source, ())


def element_dimensions(ranges: Ranges, subscript_lists: list[list[str]]) -> tuple[str, ...]:
    """Dimensions of a variable whose equations are written over ``subscript_lists``."""
    if not subscript_lists or not subscript_lists[0]:
        return ()
    rank = len(subscript_lists[0])
    if any(len(subscripts) != rank for subscripts in subscript_lists):
        raise SubscriptError("its equations have different numbers of subscripts")
    dimensions = []
    for position in range(rank):
        written = [subscripts[position] for subscripts in subscript_lists]
        used = [element for name in written for element in ranges.members(name)]
        dimensions.append(ranges.dimension(used, written))
    if len(set(dimensions)) != len(dimensions):
        raise SubscriptError("it uses one subscript range at two positions")
    return tuple(dimensions)


def box(ranges: Ranges, dimensions: tuple[str, ...], subscripts: list[str]) -> list[Axis]:
    """The axes of an equation written over ``subscripts`` of a variable."""
    return [Axis(written, dimension, ranges.members(written))
            for written, dimension in zip(subscripts, dimensions, strict=True)]


def positions(ranges: Ranges, axis: Axis) -> list[int]:
    """Indices of ``axis``'s elements in its dimension."""
    order = ranges.elements[axis.dimension]
    return [order.index(element) for element in axis.elements]


def indexer(indices: list[int], size: int) -> str:
    """Source of a numpy index selecting ``indices`` of an axis of ``size`` elements (a
    slice when it can)."""
    if indices == list(range(size)):
        return ":"
    first = indices[0]
    if indices == list(range(first, first + len(indices))):
        return f"{first}:{first + len(indices)}"
    return repr(indices)


def box_index(ranges: Ranges, axes: list[Axis]) -> str:
    """Source of the index of an equation's box in its variable's array."""
    selections = [positions(ranges, axis) for axis in axes]
    parts = [indexer(selection, len(ranges.elements[axis.dimension]))
             for selection, axis in zip(selections, axes, strict=True)]
    lists = [part for part in parts if part.startswith("[")]
    if len(lists) > 1:  # several index lists would be zipped by numpy: use an open mesh
        return "_np.ix_(" + ", ".join(repr(selection) for selection in selections) + ")"
    return ", ".join(parts)


def except_mask(ranges: Ranges, axes: list[Axis], exceptions: list[list[str]]):
    """Nested list of booleans over the box: False on the cells of ``exceptions``."""
    import itertools

    import numpy as np

    mask = np.ones([len(axis.elements) for axis in axes], dtype=bool)
    for exception in exceptions:
        if len(exception) != len(axes):
            raise SubscriptError(":EXCEPT: with a different number of subscripts")
        excluded = [set(ranges.members(name)) for name in exception]
        for cell in itertools.product(*(range(len(axis.elements)) for axis in axes)):
            if all(axes[p].elements[i] in excluded[p] for p, i in enumerate(cell)):
                mask[cell] = False
    return mask


def _match(ranges: Ranges, subscript: str, dimension: str, context: list[Axis],
           reductions: int) -> tuple[int | None, list[int]]:
    """Context position (None: dropped) and the indices in ``dimension`` selected by one
    subscript of a reference."""
    order = ranges.elements[dimension]
    if subscript.endswith("!"):
        name = subscript[:-1]
        for position, axis in enumerate(context[:reductions]):
            if axis.written == name:
                return position, [order.index(element) for element in axis.elements]
        raise SubscriptError(f"'{subscript}' outside SUM, PROD, VMIN or VMAX")
    if subscript not in ranges.elements:  # one element
        if subscript not in order:
            raise SubscriptError(f"'{subscript}' is not an element of '{dimension}'")
        return None, [order.index(subscript)]
    members = set(ranges.elements[subscript])
    regular = list(enumerate(context))[reductions:]
    for position, axis in regular:
        if axis.written == subscript:
            return position, [order.index(element) for element in axis.elements]
    contained = [(position, axis) for position, axis in regular
                 if set(axis.elements) <= members and set(axis.elements) <= set(order)]
    if len(contained) == 1:
        position, axis = contained[0]
        return position, [order.index(element) for element in axis.elements]
    mapped = [(position, axis, target) for position, axis in regular
              for target in dict.fromkeys((axis.written, axis.dimension))
              if ranges.mapped(subscript, target)]
    if len(mapped) == 1 and len(contained) == 0:
        position, axis, target = mapped[0]
        target_elements = ranges.elements[target]
        source_elements = ranges.elements[subscript]
        if len(source_elements) != len(target_elements):
            raise SubscriptError(f"mapping from '{subscript}' to '{target}' between ranges "
                                 "of different sizes")
        return position, [order.index(source_elements[target_elements.index(element)])
                          for element in axis.elements]
    raise SubscriptError(f"cannot line up subscript '{subscript}' with the equation's "
                         f"subscripts {[axis.written for axis in context[reductions:]]}")


def reference_code(name: str, dimensions: tuple[str, ...], subscripts: list[str],
                   ranges: Ranges, context: list[Axis], reductions: int) -> str:
    """Source of ``name[subscripts]`` as an array with one axis per context axis (size 1
    where it does not vary) and the ensemble axis last.

    ``context`` lists the reduction axes (the first ``reductions``) then the equation's.
    """
    if len(subscripts) != len(dimensions):
        raise SubscriptError(f"'{name}' used with {len(subscripts)} subscripts instead of "
                             f"{len(dimensions)}")
    matches = [_match(ranges, subscript, dimension, context, reductions)
               for subscript, dimension in zip(subscripts, dimensions, strict=True)]
    targets = [position for position, _ in matches if position is not None]
    if len(set(targets)) != len(targets):
        raise SubscriptError(f"two subscripts of '{name}' line up with one position")
    code = name
    basic, lists = [], []
    for axis_number, (position, indices) in enumerate(matches):
        if position is None:
            basic.append(str(indices[0]))
            continue
        part = indexer(indices, len(ranges.elements[dimensions[axis_number]]))
        if part.startswith("["):
            lists.append((len([p for p, _ in matches[:axis_number] if p is not None]), part))
            part = ":"
        basic.append(part)
    if any(part != ":" for part in basic):
        code += "[" + ", ".join(basic) + "]"
    for kept_axis, part in lists:
        code += "[" + ", ".join([":"] * kept_axis + [part]) + "]"
    if targets != sorted(targets):
        order = sorted(range(len(targets)), key=lambda index: targets[index])
        code += f".transpose({tuple(order) + (len(targets),)!r})"
        targets = sorted(targets)
    expansion = [":" if position in targets else "None" for position in range(len(context))]
    while expansion and expansion[-1] == ":" and len(expansion) > 0:
        expansion.pop()
    if "None" in expansion:
        code += "[" + ", ".join(expansion) + "]"
    return code


def full_shape(ranges: Ranges, dimensions: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(len(ranges.elements[dimension]) for dimension in dimensions)
