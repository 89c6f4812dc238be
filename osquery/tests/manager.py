#!/usr/bin/env python3
"""A stand-in osquery extension manager for gohost-osquery's tests.

Built from osquery's own generated Thrift code (the `osquery` package on PyPI:
`osquery.extensions.ExtensionManager` for the manager side, `osquery.extensions.Extension`
for calling the extension), over the binary protocol on Unix sockets as osqueryd does.

It serves the manager socket given by --socket, accepts the extension's registerExtension
(recording its registry), and then obeys JSON commands, one per line on stdin, answering one
JSON line each on stdout:

  {"cmd": "wait_registered", "timeout": S}    -> {"info": {...}, "registry": {...}, "uuid": N}
  {"cmd": "select", "table": T, "columns": [..], "where": {col: value}}
      builds the query context the way osquery does (every column listed, an EQUALS
      constraint per WHERE column, colsUsed), calls generate through the extension's socket,
      then applies the WHERE and the projection itself as SQLite would
                                              -> {"code", "message", "rows", "raw_rows", "ms"}
  {"cmd": "repeat", "table": T, "n": N}       -> N unconstrained generates; {"ok": k, "errors": e}
  {"cmd": "sql", "query": Q}                  -> every gohost_* table Q names is filled from
      an unconstrained generate into SQLite (columns and types as registered), next to an
      `osquery_extensions` table with the registered extension, and Q runs there
                                              -> {"columns": [..], "rows": [[..]..]} or {"error"}
  {"cmd": "ping"}                             -> {"code": ...}
  {"cmd": "exit"}                             -> the manager removes its socket and exits
"""

import argparse
import json
import os
import re
import sqlite3
import sys
import threading
import time

from thrift.protocol import TBinaryProtocol
from thrift.server import TServer
from thrift.transport import TSocket, TTransport

from osquery.extensions import Extension, ExtensionManager
from osquery.extensions.ttypes import ExtensionResponse, ExtensionStatus

EQUALS = 2  # osquery's ConstraintOperator EQUALS (osquery/tables.h)
TYPES = {"TEXT", "INTEGER", "BIGINT", "DOUBLE"}


class Manager(ExtensionManager.Iface):
    def __init__(self):
        self.registered = threading.Event()
        self.info = None
        self.registry = None
        self.uuid = None
        self.pings = 0

    # Extension.Iface (the manager is an extension too)
    def ping(self):
        self.pings += 1
        return ExtensionStatus(code=0, message="OK")

    def call(self, registry, item, request):
        return ExtensionResponse(status=ExtensionStatus(code=1, message="no plugins here"), response=[])

    def shutdown(self):
        return None

    # ExtensionManager.Iface
    def extensions(self):
        return {}

    def options(self):
        return {}

    def registerExtension(self, info, registry):
        self.info = info
        self.registry = registry
        self.uuid = 4242
        self.registered.set()
        return ExtensionStatus(code=0, message="OK", uuid=self.uuid)

    def deregisterExtension(self, uuid):
        return ExtensionStatus(code=0, message="OK")

    def query(self, sql):
        return ExtensionResponse(status=ExtensionStatus(code=1, message="no SQL here"), response=[])

    def getQueryColumns(self, sql):
        return ExtensionResponse(status=ExtensionStatus(code=1, message="no SQL here"), response=[])


def columns_of(registry, table):
    routes = registry.get("table", {}).get(table)
    if routes is None:
        return None
    return [(r["name"], r["type"]) for r in routes if r.get("id") == "column"]


def context_for(cols, where, used):
    """The `context` osquery puts in a generate request (osquery/core/tables.cpp,
    TablePlugin::setRequestFromContext): one entry per column, constrained or not."""
    constraints = []
    for name, ctype in cols:
        lst = []
        if name in where:
            lst.append({"op": EQUALS, "expr": str(where[name])})
        constraints.append({"name": name, "list": lst, "affinity": ctype})
    return json.dumps({"constraints": constraints, "colsUsed": sorted(used)})


class ExtClient:
    def __init__(self, path):
        self.sock = TSocket.TSocket(unix_socket=path)
        self.sock.setTimeout(600_000)  # above any --query-budget the tests use
        self.transport = TTransport.TBufferedTransport(self.sock)
        self.client = Extension.Client(TBinaryProtocol.TBinaryProtocol(self.transport))
        self.transport.open()

    def close(self):
        self.transport.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    args = ap.parse_args()

    handler = Manager()
    server_sock = TSocket.TServerSocket(unix_socket=args.socket)
    server = TServer.TThreadedServer(
        ExtensionManager.Processor(handler),
        server_sock,
        TTransport.TBufferedTransportFactory(),
        TBinaryProtocol.TBinaryProtocolFactory(),
        daemon=True,
    )
    threading.Thread(target=server.serve, daemon=True).start()

    client = None

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        cmd = json.loads(line)
        c = cmd["cmd"]
        try:
            if c == "wait_registered":
                if not handler.registered.wait(cmd.get("timeout", 10)):
                    reply({"error": "the extension did not register"})
                    continue
                ext_path = "%s.%d" % (args.socket, handler.uuid)
                deadline = time.time() + 10
                while client is None:
                    try:
                        client = ExtClient(ext_path)
                    except Exception:
                        if time.time() > deadline:
                            raise
                        time.sleep(0.05)
                info = handler.info
                reply({
                    "info": {"name": info.name, "version": info.version},
                    "registry": {k: {n: list(r) for n, r in v.items()} for k, v in handler.registry.items()},
                    "uuid": handler.uuid,
                })
            elif c == "select":
                cols = columns_of(handler.registry, cmd["table"])
                if cols is None:
                    reply({"error": "no table %s registered" % cmd["table"]})
                    continue
                where = cmd.get("where", {})
                wanted = cmd.get("columns") or [n for n, _ in cols]
                request = {"action": "generate", "context": context_for(cols, where, set(wanted) | set(where))}
                started = time.monotonic()
                resp = client.client.call("table", cmd["table"], request)
                ms = (time.monotonic() - started) * 1000
                raw = [dict(r) for r in (resp.response or [])]
                rows = [
                    {k: r.get(k) for k in wanted}
                    for r in raw
                    if all(r.get(k) == str(v) for k, v in where.items())
                ]
                reply({"code": resp.status.code, "message": resp.status.message, "rows": rows, "raw_rows": len(raw), "ms": ms})
            elif c == "repeat":
                ok = errors = 0
                for _ in range(cmd["n"]):
                    resp = client.client.call("table", cmd["table"], {"action": "generate", "context": json.dumps({"constraints": []})})
                    if resp.status.code == 0:
                        ok += 1
                    else:
                        errors += 1
                reply({"ok": ok, "errors": errors})
            elif c == "sql":
                db = sqlite3.connect(":memory:")
                db.execute("CREATE TABLE osquery_extensions (uuid BIGINT, name TEXT, version TEXT, sdk_version TEXT, path TEXT, type TEXT)")
                db.execute(
                    "INSERT INTO osquery_extensions VALUES (?, ?, ?, ?, ?, 'extension')",
                    (handler.uuid, handler.info.name, handler.info.version, handler.info.sdk_version, "%s.%d" % (args.socket, handler.uuid)),
                )
                failed = None
                for table in sorted(set(re.findall(r"\bgohost_[a-z_]+\b", cmd["query"]))):
                    cols = columns_of(handler.registry, table)
                    if cols is None:
                        continue  # SQLite reports the missing table
                    db.execute("CREATE TABLE %s (%s)" % (table, ", ".join("%s %s" % c for c in cols)))
                    resp = client.client.call("table", table, {"action": "generate", "context": json.dumps({"constraints": []})})
                    if resp.status.code != 0:
                        failed = "%s: %s" % (table, resp.status.message)
                        break
                    names = [n for n, _ in cols]
                    db.executemany(
                        "INSERT INTO %s VALUES (%s)" % (table, ", ".join("?" * len(names))),
                        [[r.get(n) for n in names] for r in resp.response],
                    )
                if failed:
                    reply({"error": failed})
                    continue
                cur = db.execute(cmd["query"])
                reply({"columns": [d[0] for d in cur.description], "rows": [list(r) for r in cur.fetchall()]})
            elif c == "ping":
                reply({"code": client.client.ping().code})
            elif c == "exit":
                try:
                    os.unlink(args.socket)
                except FileNotFoundError:
                    pass
                reply({"bye": True})
                os._exit(0)
            else:
                reply({"error": "unknown command %s" % c})
        except Exception as e:  # the test sees the failure and its type
            reply({"error": "%s: %s" % (type(e).__name__, e)})


if __name__ == "__main__":
    main()
