"""``actlab activations``: list the registry."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from .. import activations


@click.command("activations")
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
def activations_command(as_json: bool) -> None:
    """List every activation with its range, properties and roles."""
    specs = activations.specs()
    if as_json:
        click.echo(json.dumps([_describe(spec) for spec in specs], indent=2))
        return

    table = Table(title="Activations")
    for column in ("name", "range", "parameters", "properties", "suits"):
        table.add_column(column)
    for spec in specs:
        row = _describe(spec)
        table.add_row(
            spec.name + "".join(f"\n({alias})" for alias in spec.aliases),
            spec.range_text,
            "\n".join(f"{p['name']}={p['default']}" for p in row["parameters"]),
            ", ".join(row["properties"]),
            ", ".join(role.replace("_", " ") for role in row["roles"]),
        )
    Console().print(table)


def _describe(spec: activations.Spec) -> dict:
    properties = [
        label
        for label, applies in (
            ("monotonic", spec.monotonic),
            ("smooth", spec.smooth),
            ("zero-centred", spec.zero_centred),
            ("saturates", spec.saturates),
            ("can die", spec.can_die),
        )
        if applies
    ]
    return {
        "name": spec.name,
        "aliases": list(spec.aliases),
        "range": spec.range_text,
        "parameters": [
            {"name": p.name, "default": p.default, "valid": p.range_text()}
            if not p.choices
            else {"name": p.name, "default": p.default, "valid": list(p.choices)}
            for p in spec.parameters
        ],
        "properties": properties,
        "roles": sorted(role.value for role in spec.roles),
        "description": spec.description,
    }
