#!/usr/bin/python3
# schema_check.py: checks YAML files against roost's JSON Schemas.
#
#   schema_check.py SCHEMA_DIR KIND FILE...
#
# KIND is server, node, roost or egg. Prints "FILE: valid" or
# "FILE: invalid: message" per file; exits 0. Files that are not YAML
# count as invalid.
import json
import os
import sys

import jsonschema
import yaml

schema_dir, kind = sys.argv[1], sys.argv[2]
store = {}
for name in os.listdir(schema_dir):
    if name.endswith(".json"):
        with open(os.path.join(schema_dir, name)) as fp:
            s = json.load(fp)
        store[s["$id"]] = s
        store[name] = s
schema = store[kind + ".schema.json"]
resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema,
                                  store=store)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
for path in sys.argv[3:]:
    try:
        with open(path) as fp:
            doc = yaml.safe_load(fp)
    except yaml.YAMLError as e:
        print(f"{path}: invalid: not yaml: {str(e).splitlines()[0]}")
        continue
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(top)"
        print(f"{path}: invalid: {where}: {e.message}")
    else:
        print(f"{path}: valid")
