#!/usr/bin/env python3
"""The OpenAPI document against the OpenAPI 3.0 schema, and against what a running
`clickagg serve` really answers.

1. The document (host/serve/openapi.json) validates against the official OpenAPI 3.0 JSON
   Schema (Debian's openapi-specification package); every $ref resolves; path templates and
   path parameters agree; every schema in it is a valid JSON Schema; its examples fit them.
2. `clickagg serve` runs over a store written by api_test_store (and over an empty one).
   Every route is requested with good and bad parameters. Each response's status must be
   one the document lists for the operation, its media type one the document gives, and its
   body must validate against the documented schema. The document's parameter constraints
   must agree with the server: a request the document rejects gets 400, a request the server
   answers with 200 is one the document accepts; 400s the document cannot express (an unknown
   filter, a reversed or too long range, 30 February, a parameter given twice) are marked.
3. /openapi.json serves exactly the source document.

OpenAPI 3.0 schema objects are JSON Schema draft 4 plus `nullable`; they are translated
(nullable -> a "null" type) and checked with python3-jsonschema's draft 4 validator.
"""
import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import jsonschema
except ImportError:
    sys.exit("python3-jsonschema is missing: run scripts/setup.sh")

ROUTES = {"/v1/ads/{ad_id}/aggregated_count", "/v1/ads/popular_ads", "/v1/ads/{ad_id}/series",
          "/v1/status", "/healthz", "/metrics", "/openapi.json", "/", "/assets/{name}"}

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL:", message)
    return cond


# --- the document --------------------------------------------------------------------------

def resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
    return node


def walk(node, path=""):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + "/" + str(i))


def to_json_schema(node):
    """An OpenAPI 3.0 schema object as JSON Schema draft 4 ($refs left as they are)."""
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = out["enum"] + [None]
    return out


def check_document(doc, oas_schema):
    errors = sorted(jsonschema.Draft4Validator(oas_schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        check(False, f"OpenAPI 3.0 schema: {'/'.join(map(str, e.path))}: {e.message}")
    check(doc.get("openapi") == "3.0.3", "openapi is 3.0.3")
    check(set(doc["paths"]) == ROUTES, f"documented paths {sorted(doc['paths'])} are the routes {sorted(ROUTES)}")
    for where, node in walk(doc):
        if isinstance(node, dict) and "$ref" in node:
            try:
                resolve(doc, node["$ref"])
            except (KeyError, IndexError):
                check(False, f"{where}: $ref {node['$ref']} does not resolve")
    op_ids = []
    for path, item in doc["paths"].items():
        templated = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            op_ids.append(op.get("operationId"))
            params = [deref(doc, p) for p in op.get("parameters", [])]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            check(in_path == templated, f"{method} {path}: path parameters {in_path} match the template {templated}")
            for p in params:
                if p["in"] == "path":
                    check(p.get("required") is True, f"{path}: path parameter {p['name']} is required")
            check("200" in op["responses"], f"{method} {path}: documents 200")
            if any(p["in"] == "query" for p in params):
                check("400" in op["responses"], f"{method} {path}: has query parameters, documents 400")
    check(len(op_ids) == len(set(op_ids)) and None not in op_ids, "operationIds are present and unique")
    # Every schema is a valid draft 4 schema once translated; every example fits its schema.
    converted = to_json_schema(doc)
    for where, node in walk(doc):
        if where.endswith("/schema") or re.search(r"^/components/schemas/[^/]+$", where):
            try:
                jsonschema.Draft4Validator.check_schema(to_json_schema(node))
            except jsonschema.SchemaError as e:
                check(False, f"{where}: not a valid schema: {e.message}")
            if isinstance(node, dict) and "example" in node:
                for e in validator(converted, to_json_schema(node)).iter_errors(node["example"]):
                    check(False, f"{where}: example does not fit: {e.message}")


def validator(converted_doc, schema):
    resolver = jsonschema.RefResolver(base_uri="", referrer=converted_doc)
    return jsonschema.Draft4Validator(schema, resolver=resolver)


# --- requests against the document ---------------------------------------------------------

def match_route(doc, path):
    """(template, path parameters) of the documented path matching `path`, or (None, None)."""
    for template in doc["paths"]:
        names = re.findall(r"{([^}]+)}", template)
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template)) + "$"
        m = re.match(pattern, path)
        if m:
            return template, {n: urllib.parse.unquote(v) for n, v in zip(names, m.groups())}
    return None, None


def doc_accepts(doc, converted, template, path_params, query):
    """Whether the request's parameters satisfy the documented constraints; the reason if not."""
    op = doc["paths"][template]["get"]
    for p in op.get("parameters", []):
        p = deref(doc, p)
        schema = to_json_schema(p["schema"])
        if p["in"] == "path":
            values = [path_params[p["name"]]]
        else:
            values = [v for k, v in query if k == p["name"]]
        for raw in values:
            value = raw
            if schema.get("type") == "integer":
                if not re.fullmatch(r"-?[0-9]+", raw):
                    return False, f"{p['name']}={raw!r} is not an integer"
                value = int(raw)
            errs = list(validator(converted, schema).iter_errors(value))
            if errs:
                return False, f"{p['name']}={raw!r}: {errs[0].message}"
    return True, ""


class Server:
    def __init__(self, clickagg, db, workdir, create=False):
        port_file = os.path.join(workdir, os.path.basename(db) + ".port")
        self.proc = subprocess.Popen([clickagg, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                      "--port-file", port_file] + (["--create"] if create else []))
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                sys.exit(f"clickagg serve over {db} did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.base = f"http://127.0.0.1:{int(f.read())}"

    def get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def check_response(doc, converted, server, path, expected_status, semantic=False, body_check=None):
    """Requests `path`, checks status, the document's view of the parameters, and the body."""
    status, ctype, raw = server.get(path)
    label = f"GET {path}"
    check(status == expected_status, f"{label}: status {status}, expected {expected_status}")
    media = ctype.split(";")[0].strip()
    parsed = urllib.parse.urlsplit(path)
    template, path_params = match_route(doc, parsed.path)
    if template is None:
        check(status == 404, f"{label}: no documented route, so 404 (got {status})")
        response = doc["components"]["responses"]["NotFound"]
    else:
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        accepted, why = doc_accepts(doc, converted, template, path_params, query)
        if not accepted:
            check(status == 400, f"{label}: the document rejects it ({why}), the server answered {status}")
        elif status == 400:
            check(semantic, f"{label}: 400 although the document accepts every parameter")
        if status == 200:
            check(accepted, f"{label}: answered 200, but the document rejects it ({why})")
        if semantic:
            check(accepted, f"{label}: marked as a 400 the document cannot express, but it does ({why})")
        responses = doc["paths"][template]["get"]["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if not check(response is not None, f"{label}: status {status} is not documented"):
            return None
        response = deref(doc, response)
    content = response.get("content", {})
    if not check(media in content, f"{label}: media type {media!r} not among {sorted(content)}"):
        return None
    body = raw.decode("utf-8")
    if media == "application/json":
        value = json.loads(body)
        for e in validator(converted, to_json_schema(content[media]["schema"])).iter_errors(value):
            check(False, f"{label}: body {body[:300]} does not fit the schema: "
                         f"{'/'.join(map(str, e.path))}: {e.message}")
    else:
        value = body
        check(isinstance(body, str) and body, f"{label}: a non-empty {media} body")
    if body_check is not None:
        body_check(value, label)
    return value


def equals(expected):
    def run(value, label):
        check(value == expected, f"{label}: {json.dumps(value)[:400]} != expected {json.dumps(expected)[:400]}")
    return run


def has(**fields):
    def run(value, label):
        for k, v in fields.items():
            check(value.get(k) == v, f"{label}: {k} = {value.get(k)!r}, expected {v!r}")
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--fill", required=True, help="api_test_store")
    ap.add_argument("--document", required=True)
    ap.add_argument("--oas-schema", required=True)
    args = ap.parse_args()
    if not os.path.exists(args.oas_schema):
        sys.exit(f"{args.oas_schema} is missing: run scripts/setup.sh (Debian package openapi-specification)")
    with open(args.document) as f:
        doc = json.load(f)
    with open(args.oas_schema) as f:
        oas_schema = json.load(f)
    check_document(doc, oas_schema)
    converted = to_json_schema(doc)

    with tempfile.TemporaryDirectory(prefix="clickagg-api-") as tmp:
        db = os.path.join(tmp, "api.db")
        subprocess.run([args.fill, db], check=True)
        filled = Server(args.clickagg, db, tmp)
        empty = Server(args.clickagg, os.path.join(tmp, "empty.db"), tmp, create=True)
        try:
            run_cases(doc, converted, filled, empty)
        finally:
            filled.stop()
            empty.stop()

    if failures:
        print(f"{len(failures)} failed checks")
        return 1
    print("openapi contract: every check passed")
    return 0


def run_cases(doc, converted, filled, empty):
    ok = lambda path, body_check=None, server=filled: check_response(doc, converted, server, path, 200,
                                                                     body_check=body_check)
    bad = lambda path, semantic=False: check_response(doc, converted, filled, path, 400, semantic)
    missing = lambda path: check_response(doc, converted, filled, path, 404)

    # The store (see tests/api/filler/fill_api_store.cpp): minutes 00:00..00:09 closed, so now
    # is 00:10; ad001 has i + 1 clicks in minute i, ad002 10 in even minutes, ad003 1 in 00:09;
    # filter 12 sees ad001 once in 00:00, 00:03, 00:06, 00:09.
    ac = "/v1/ads/ad001/aggregated_count"
    ok(ac, equals({"ad_id": "ad001", "count": 10, "from": 202101010009, "to": 202101010010, "filter": 0}))
    ok(ac + "?from=202101010000&to=202101010010&filter=0", has(count=55))
    ok(ac + "?from=202101010000&to=202101010010&filter=12", has(count=4))
    ok(ac + "?from=202101010005&to=202101010005", has(count=0))
    ok("/v1/ads/" + "a" * 64 + "/aggregated_count", has(count=0))
    ok("/v1/ads/ad%30%301/aggregated_count?from=202101010000&to=202101010002", has(ad_id="ad001", count=3))
    for q in ["?from=abc", "?from=202113010000", "?from=202101012400", "?from=20210101000", "?filter=x",
              "?filter=-1", "?filter=70000", "?filter=1.5"]:
        bad(ac + q)
    for q in ["?to=202102300000", "?filter=7", "?from=202101010005&to=202101010000",
              "?from=202101010000&from=202101010001"]:
        bad(ac + q, semantic=True)
    bad("/v1/ads/" + "a" * 65 + "/aggregated_count")
    bad("/v1/ads/a%2Cb/aggregated_count")

    pa = "/v1/ads/popular_ads"
    ok(pa, equals({"ad_ids": ["ad001", "ad003"], "counts": [10, 1], "window": 1, "minute": 202101010009,
                   "filter": 0}))
    ok(pa + "?count=2&window=5", has(ad_ids=["ad001", "ad002"], counts=[40, 20], window=5))
    ok(pa + "?count=1000&window=60", has(ad_ids=["ad001", "ad002", "ad003"], counts=[55, 50, 1]))
    ok(pa + "?window=1440&filter=12", has(ad_ids=["ad001"], counts=[4], filter=12))
    ok(pa + "?filter=14", has(ad_ids=[], counts=[]))
    for q in ["?count=0", "?count=1001", "?count=ten", "?count=", "?count=1.5", "?window=0", "?window=1441",
              "?window=+5", "?count=99999999999999999999999", "?filter=65536"]:
        bad(pa + q)
    for q in ["?filter=13", "?count=1&count=2"]:
        bad(pa + q, semantic=True)

    se = "/v1/ads/ad001/series"
    ok(se, equals({"ad_id": "ad001", "filter": 0, "from": 202012312110, "to": 202101010010,
                   "minutes": [202101010000 + i for i in range(10)], "counts": list(range(1, 11))}))
    ok("/v1/ads/ad002/series?from=202101010000&to=202101010005", has(minutes=[202101010000, 202101010002,
                                                                             202101010004], counts=[10, 10, 10]))
    ok(se + "?from=202101010000&to=202101020000&filter=12",
       has(minutes=[202101010000, 202101010003, 202101010006, 202101010009], counts=[1, 1, 1, 1]))
    ok(se + "?from=202101010003&to=202101010003", has(minutes=[], counts=[]))
    ok("/v1/ads/nobody/series?filter=14", has(minutes=[], counts=[]))
    for q in ["?from=2021", "?to=202101010060", "?filter=abc", "?filter=-3"]:
        bad(se + q)
    for q in ["?from=202101010000&to=202101020001", "?from=202012300000", "?from=202101010009&to=202101010001",
              "?filter=7", "?to=202104310000"]:
        bad(se + q, semantic=True)
    bad("/v1/ads/" + "b" * 65 + "/series")

    ok("/v1/status", equals({
        "last_closed_minute": 202101010009, "consumer_lag": 42, "events": 120, "counted": 106,
        "late_counted": 3, "duplicates": 9, "dropped_late": 2, "rejected": 3, "windows_closed": 10,
        "corrections": 1, "filters": [{"id": 0, "name": "all"}, {"id": 12, "name": "us"},
                                      {"id": 14, "name": "europe"}],
        "topn_windows": [1, 5, 60],
        "reconcile": {"checked_at_ms": 1609459800000, "from": 202101010000, "to": 202101010010,
                      "groups_checked": 26, "mismatches": 0}}))
    ok("/healthz", equals({"status": "ok"}))
    ok("/openapi.json", equals(doc))
    page = ok("/", lambda body, label: check("<html" in body.lower(), f"{label}: an HTML page"))
    assets = sorted(set(re.findall(r'"/assets/([^"/?#]+)"', page or "")))
    check(assets, "the page loads files from /assets/")
    for name in assets:
        ok("/assets/" + name)
    missing("/assets/no-such-file.js")

    def metrics_check(text, label):
        for line in ["clickagg_store_consumer_lag 42", "clickagg_reconcile_mismatches 0",
                     "clickagg_reconcile_groups_checked 26", "clickagg_reconcile_checked_at_seconds 1609459800",
                     'clickagg_http_requests_total{route="/v1/ads/{ad_id}/series",status="400"}',
                     'clickagg_http_requests_total{route="/v1/status",status="200"} 1']:
            check(line in text, f"{label}: has {line!r}")
    # A request is counted once its answer is sent; the next connection may get in first.
    for _ in range(100):
        if 'route="/v1/status",status="200"} 1' in filled.get("/metrics")[2].decode():
            break
        time.sleep(0.02)
    ok("/metrics", metrics_check)

    for path in ["/nope", "/v1", "/v1/ads", "/v1/ads/ad001", "/v1/ads/ad001/other", "/v1/ads//aggregated_count",
                 "/v1/ads/a/b/aggregated_count", "/v1/ads//series", "/v1/ads/a/b/series", "/v1/status/x",
                 "/openapi.yaml"]:
        missing(path)

    # Nothing written yet: nulls, zeros, empty lists, "now" from the wall clock.
    ok("/v1/status", has(last_closed_minute=None, consumer_lag=None, reconcile=None, topn_windows=[],
                         filters=[{"id": 0, "name": "all"}], events=0), server=empty)
    ok("/v1/ads/ad001/series", has(minutes=[], counts=[]), server=empty)
    ok("/v1/ads/ad001/aggregated_count", has(count=0), server=empty)
    ok("/v1/ads/popular_ads?window=60", has(ad_ids=[], counts=[]), server=empty)
    ok("/metrics", lambda text, label: check("clickagg_reconcile_mismatches NaN" in text,
                                             f"{label}: NaN without a reconciliation"), server=empty)


if __name__ == "__main__":
    sys.exit(main())
