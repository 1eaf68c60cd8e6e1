#!/usr/bin/env python3
"""Validates Open Referral UK responses against the ORUK JSON Schemas.

usage: validate_oruk.py SCHEMA_DIR SCHEMA_FILE RESPONSE_FILE [SCHEMA_FILE RESPONSE_FILE ...]

Each response is checked against its schema (with format checks for uuid,
email and date, where the installed jsonschema can). A schema named
`*_list.json` whose top level has no `contents` describes one item of a list:
each item of the response's `contents` is checked against it. Prints one
line per error (file, JSON path, message) and exits 1 when there are any.
"""
import json
import sys

import jsonschema


def main():
    schema_dir, pairs = sys.argv[1], sys.argv[2:]
    if len(pairs) % 2:
        sys.exit("give schema and response files in pairs")
    errors = 0
    checked = 0
    for schema_name, response_file in zip(pairs[::2], pairs[1::2]):
        with open(f"{schema_dir}/{schema_name}") as f:
            schema = json.load(f)
        with open(response_file) as f:
            response = json.load(f)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        item_schema = "contents" not in schema.get("properties", {}) and schema_name.endswith("_list.json")
        documents = response.get("contents", []) if item_schema else [response]
        for k, doc in enumerate(documents):
            checked += 1
            for e in validator.iter_errors(doc):
                errors += 1
                where = "/".join(str(p) for p in e.absolute_path)
                item = f"contents/{k}/" if item_schema else ""
                print(f"{response_file}: {item}{where}: {e.message[:300]}")
    print(f"checked {checked} documents, {errors} errors")
    sys.exit(1 if errors else 0)


main()
