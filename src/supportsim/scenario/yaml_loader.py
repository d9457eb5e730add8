"""Safe YAML with budgets: no Python tags, no key given twice, text keys only, the merge key
``<<`` supported, nesting and alias expansion bounded before anything is built.

An alias bomb ("billion laughs") is a few hundred bytes that stand for billions of nodes;
it is measured on the composed node graph (where each alias is one shared node) and refused
before it is turned into Python objects or validated.
"""

from __future__ import annotations

from typing import Any

import yaml

from supportsim.scenario.limits import MAX_ALIAS_NODES, MAX_YAML_DEPTH, MAX_YAML_NODES, shortened

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlRefused(ValueError):
    """YAML that cannot be read: ``line`` (1-based, 0 unknown) and ``problem``."""

    def __init__(self, line: int, problem: str):
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line else problem)


class _BudgetLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a depth limit, a node budget and strict mapping keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Any) -> Any:
        _check_budget(node)
        return super().construct_document(node)


def _check_budget(root: yaml.Node) -> None:
    """Refuse a node graph that expands past the node budget (aliases counted in full)."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def expanded(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise yaml.constructor.ConstructorError(None, None, "an alias refers to itself", node.start_mark)
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(expanded(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(expanded(k) + expanded(v) for k, v in node.value)
        in_progress.discard(key)
        sizes[key] = min(total, 10 * MAX_YAML_NODES)  # capped: the count itself stays small
        return sizes[key]

    total = expanded(root)
    if total > MAX_YAML_NODES:
        raise yaml.constructor.ConstructorError(
            None, None, f"the document expands to more than {MAX_YAML_NODES:,} nodes", root.start_mark
        )
    if total - len(sizes) > MAX_ALIAS_NODES:
        raise yaml.constructor.ConstructorError(
            None, None, f"aliases (*name) expand to more than {MAX_ALIAS_NODES:,} nodes", root.start_mark
        )


def _mapping(loader: _BudgetLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping with text keys, each given once (keys merged in with ``<<`` may be overridden)."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, got {shortened(key)} (quote it)", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"the key '{key}' is given twice", key_node.start_mark)
        seen.add(key)
    mapping = loader.construct_mapping(node)  # flattens '<<' merges
    for key in mapping:
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, got {shortened(key)} (quote it)", node.start_mark
            )
    return mapping


_BudgetLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str, *, what: str = "scenario files") -> Any:
    """Parse ``text`` as one safe YAML document within the budgets; :class:`YamlRefused` if not.
    ``what`` names the kind of file in the message refusing Python tags.
    """
    try:
        return yaml.load(text, Loader=_BudgetLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "tag:yaml.org,2002:python/" in problem:
            problem = f"YAML tags such as !!python/... are not allowed in {what}"
        elif "could not determine a constructor" in problem:
            problem = problem.split(" for the tag ")[0] + " (only plain YAML is allowed: no !tags)"
        line = mark.line + 1 if mark is not None else 0
        raise YamlRefused(line, f"not valid YAML: {problem[:200]}") from None
    except RecursionError:
        raise YamlRefused(0, f"not valid YAML: nested deeper than {MAX_YAML_DEPTH} levels") from None
