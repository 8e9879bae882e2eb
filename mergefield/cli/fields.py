"""``mergefield fields``: the merge fields a context offers (the portal's "View Merge Fields")."""

from __future__ import annotations

import argparse
import json
import sys

from mergefield.catalog import Catalog
from mergefield.cli.common import EXIT_OK, fail, load_catalog

__all__ = ["run_fields"]


def run_fields(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    allowed = catalog.allowed_resources(args.context)
    resources = [r for r in _resource_order(catalog) if r in allowed]
    if args.resource is not None:
        if args.resource not in catalog.resources():
            hint = catalog.suggest(args.resource)
            known = ", ".join(resources)
            fail(
                f"unknown resource {args.resource!r}"
                + (f"; did you mean {hint}?" if hint else f"; known: {known}")
            )
        if args.resource not in allowed:
            fail(
                f"resource {args.resource!r} is not allowed in the {args.context} context; "
                f"allowed: {', '.join(resources)}"
            )
        resources = [args.resource]
    rows = [
        {
            "resource": spec.resource,
            "field": spec.name,
            "token": f"@{{{spec.resource}:{spec.name},}}",
            "label": spec.label,
            "type": spec.type.value,
            "description": spec.description,
            "default": spec.default,
            "aliases": list(spec.aliases),
        }
        for resource in resources
        for spec in catalog.fields(resource)
    ]
    custom = "Lead" in resources
    if args.format == "json":
        json.dump(
            {"context": args.context, "fields": rows, "lead_custom_fields": custom},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
        return EXIT_OK
    width = max([len("MERGE FIELD"), *(len(str(r["token"])) for r in rows)])
    print(f"{'MERGE FIELD':<{width}}  {'TYPE':<6}  DESCRIPTION")
    for r in rows:
        description = str(r["description"])
        if r["aliases"]:
            description += f" (also written {', '.join(r['aliases'])})"
        print(f"{r['token']:<{width}}  {r['type']:<6}  {description}".rstrip())
    if custom:
        print(f"{'@{Lead:mx_<SchemaName>,}':<{width}}  {'String':<6}  Any Lead custom field")
    return EXIT_OK


def _resource_order(catalog: Catalog) -> list[str]:
    # The catalog's own order (the seed's tables) reads better than the alphabet.
    return list(dict.fromkeys(spec.resource for spec in catalog))
