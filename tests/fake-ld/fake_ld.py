#!/usr/bin/env python3
"""Fake LaunchDarkly REST API (relay auto configs) for ld-relay-token tests.

Python 3 standard library only.  Follows /work/shared/api/relay-auto-configs.md
(section 8, "What a faithful fake server must do").  The test-control
interface under /_fake/... is described in README.md next to this file.

    python3 fake_ld.py --port 0 --cert CERT --key KEY --state-dir DIR
                       [--plain-http] [--tokens FILE] [--other-port N]
                       [--other-port-file FILE] [--retired-keys POLICY]
                       [--no-creator] [--verbose]

Binds 127.0.0.1 only.  After both listeners listen, the chosen ports are
written atomically to DIR/other_port and then DIR/port (so DIR/port existing
means "ready").  SIGTERM, SIGINT or POST /_fake/shutdown exit with status 0.
"""

import argparse
import copy
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

CONFIGS_PATH = "/api/v2/account/relay-auto-configs"
VALID_VERSIONS = [20160426, 20191212, 20210729, 20220603, 20240415]
LATEST_VERSION = 20240415
MAX_REQUEST_BODY = 16 * 1024 * 1024
READ_ONLY_FIELDS = {"fullKey", "displayKey", "creationDate", "lastModified"}
ROLES = ("admin", "writer", "reader", "none", "norelay")
RATE_WINDOW_MS = 10000

ERROR_TEXT = {
    400: ("invalid_request", "Invalid request body"),
    401: ("unauthorized", "Invalid access token"),
    403: ("forbidden",
          "Forbidden. Access to the requested resource was denied."),
    404: ("not_found", "Invalid resource identifier"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("optimistic_locking_error",
          "Conflict. Optimistic lock error. Try again later."),
    411: ("length_required", "Length required"),
    413: ("request_entity_too_large", "Request body too large"),
    422: ("patch_failed", "Unprocessable entity. Could not apply patch."),
    429: ("rate_limited",
          "You've exceeded the API rate limit. Try again later."),
    500: ("internal_server_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}

CREATOR = {
    "_links": {"self": {"href": "/api/v2/members/569f183514f4432160000007",
                        "type": "application/json"}},
    "_id": "569f183514f4432160000007",
    "firstName": "Ariel",
    "lastName": "Flores",
    "role": "admin",
    "email": "ariel@example.com",
}

FAULT_ACTIONS = ("status", "rate_limit", "delay", "apply_then_drop",
                 "truncate", "non_json", "huge", "redirect", "drop")
# Actions that answer instead of the real route (optionally after applying it).
REPLACING_ACTIONS = ("status", "rate_limit", "non_json", "huge", "redirect")

CONN_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
               socket.timeout, ssl.SSLError, OSError)


def real_ms():
    return int(time.time() * 1000)


def token_label(tok):
    """A stable, non-secret label for a token: 8 hex of its SHA-256."""
    return hashlib.sha256(tok.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def jdump(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def error_body(status, code=None, message=None, with_id=True):
    dcode, dmsg = ERROR_TEXT.get(status, ("error", "Error"))
    rep = {"code": code or dcode, "message": message or dmsg}
    if with_id:
        rep["id"] = str(uuid.uuid4())
    return rep


def json_equal(a, b):
    """JSON value equality (true != 1, 1 == 1.0)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (set(a) == set(b)
                and all(json_equal(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (len(a) == len(b)
                and all(json_equal(x, y) for x, y in zip(a, b)))
    return a == b


# ---------------------------------------------------------------- JSON patch

class PatchError(Exception):
    """Patch could not be applied (-> 422 patch_failed)."""


class ReadOnlyError(Exception):
    """Patch touches a read-only field (-> 400 invalid_request)."""


def ptr_parse(ptr):
    if not isinstance(ptr, str):
        raise PatchError("path is not a string")
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise PatchError("JSON pointer must start with '/'")
    out = []
    for tok in ptr[1:].split("/"):
        if re.search(r"~[^01]|~$", tok):
            raise PatchError("bad '~' escape in JSON pointer")
        out.append(tok.replace("~1", "/").replace("~0", "~"))
    return out


def list_index(lst, tok, allow_end):
    if allow_end and tok == "-":
        return len(lst)
    if not re.fullmatch(r"0|[1-9][0-9]*", tok):
        raise PatchError("bad array index %r" % tok)
    i = int(tok)
    limit = len(lst) if allow_end else len(lst) - 1
    if i > limit:
        raise PatchError("array index out of range")
    return i


def ptr_get(doc, toks):
    cur = doc
    for tok in toks:
        if isinstance(cur, dict):
            if tok not in cur:
                raise PatchError("path not found")
            cur = cur[tok]
        elif isinstance(cur, list):
            cur = cur[list_index(cur, tok, False)]
        else:
            raise PatchError("path not found")
    return cur


def ptr_add(doc, toks, value):
    if not toks:
        return value
    parent = ptr_get(doc, toks[:-1])
    last = toks[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(list_index(parent, last, True), value)
    else:
        raise PatchError("parent is not a container")
    return doc


def ptr_remove(doc, toks):
    if not toks:
        raise PatchError("cannot remove the whole document")
    parent = ptr_get(doc, toks[:-1])
    last = toks[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("path not found")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(list_index(parent, last, False))
    raise PatchError("parent is not a container")


def ptr_replace(doc, toks, value):
    if not toks:
        return value
    ptr_get(doc, toks)  # must exist
    parent = ptr_get(doc, toks[:-1])
    last = toks[-1]
    if isinstance(parent, dict):
        parent[last] = value
    else:
        parent[list_index(parent, last, False)] = value
    return doc


def is_read_only(toks):
    return bool(toks) and (toks[0].startswith("_") or toks[0] in READ_ONLY_FIELDS)


def json_patch(doc, ops):
    """Apply RFC 6902 ops to a deep copy of doc; return the new document."""
    if not isinstance(ops, list):
        raise PatchError("patch is not an array")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("patch operation is not an object")
        name = op.get("op")
        toks = ptr_parse(op.get("path"))
        if name in ("add", "remove", "replace", "move", "copy") and is_read_only(toks):
            raise ReadOnlyError("field %s is read-only" % toks[0])
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError("missing value")
        if name == "add":
            doc = ptr_add(doc, toks, copy.deepcopy(op["value"]))
        elif name == "remove":
            ptr_remove(doc, toks)
        elif name == "replace":
            doc = ptr_replace(doc, toks, copy.deepcopy(op["value"]))
        elif name in ("move", "copy"):
            ftoks = ptr_parse(op.get("from"))
            if name == "move" and is_read_only(ftoks):
                raise ReadOnlyError("field %s is read-only" % ftoks[0])
            if name == "move":
                if ftoks == toks:
                    continue
                if toks[:len(ftoks)] == ftoks:
                    raise PatchError("cannot move a value into itself")
                val = ptr_remove(doc, ftoks)
            else:
                val = copy.deepcopy(ptr_get(doc, ftoks))
            doc = ptr_add(doc, toks, val)
        elif name == "test":
            if not json_equal(ptr_get(doc, toks), op["value"]):
                raise PatchError("test failed")
        else:
            raise PatchError("unknown op %r" % (name,))
    return doc


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = copy.deepcopy(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def policy_problem(policy):
    """None if policy is a valid statement list, else a message."""
    if not isinstance(policy, list):
        return "policy must be an array"
    for st in policy:
        if not isinstance(st, dict):
            return "policy statement must be an object"
        if st.get("effect") not in ("allow", "deny"):
            return "policy statement effect must be allow or deny"
    return None


# ---------------------------------------------------------------- state

class Conn:
    def __init__(self, cid, tls):
        self.id = cid
        self.tls = tls
        self.nreq = 0
        self.control = False


class State:
    """All mutable fake state; every access under self.lock."""

    def __init__(self, args):
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.verbose = args.verbose
        self.tokens = {}
        self.configs = {}        # id -> config dict (insertion ordered)
        self.deleted = {}        # id -> list of keys it had
        self.faults = []
        self.log = []
        self.seq = 0
        self.other_log = []
        self.other_seq = 0
        self.offset_ms = 0
        self.settings = {
            "retired_keys": args.retired_keys,
            "creator": not args.no_creator,
            "access": False,
            "error_id": True,
            "strict_version": False,
            "rate_limit_route_limit": 1000,
        }
        self.stats = {"connections_total": 0, "tls_handshakes_total": 0,
                      "tls_failures": 0, "control_connections": 0,
                      "control_tls_handshakes": 0, "requests": 0,
                      "control_requests": 0}
        self.conn_seq = 0
        self.inflight = 0        # API requests being answered (/_fake/idle)
        self.idle_cv = threading.Condition()
        self.rl = {}             # (route, window) -> count
        self.other_port = None
        self.scheme = "http" if args.plain_http else "https"

    def now(self):
        with self.lock:
            return real_ms() + self.offset_ms

    # -- tokens
    def role_of(self, tok):
        with self.lock:
            t = self.tokens.get(tok)
            return None if t is None else t["role"]

    # -- keys
    def new_key(self):
        return "rel-" + str(uuid.uuid4())

    def new_id(self):
        while True:
            i = secrets.token_hex(12)
            if i not in self.configs and i not in self.deleted:
                return i

    def key_lookup(self, key):
        """(valid, id, current, expiresAt) for a relay key."""
        with self.lock:
            now = self.now()
            for cid, c in self.configs.items():
                if c["key"] == key:
                    return True, cid, True, None
                for r in c["retired"]:
                    if r["key"] == key:
                        return r["expiresAt"] > now, cid, False, r["expiresAt"]
            for cid, keys in self.deleted.items():
                if key in keys:
                    return False, cid, False, None
            return False, None, False, None

    # -- configs
    def make_config(self, name, policy, cid=None, key=None, created=None):
        with self.lock:
            now = self.now()
            cid = cid or self.new_id()
            c = {"_id": cid, "name": name, "policy": policy,
                 "key": key or self.new_key(), "retired": [],
                 "creationDate": now if created is None else created,
                 "lastModified": now if created is None else created}
            self.configs[cid] = c
            self.deleted.pop(cid, None)
            return c

    def rep(self, c, full_key=False):
        r = {"_id": c["_id"], "name": c["name"],
             "policy": copy.deepcopy(c["policy"])}
        if full_key:
            r["fullKey"] = c["key"]
        r["displayKey"] = c["key"][-4:]
        r["creationDate"] = c["creationDate"]
        r["lastModified"] = c["lastModified"]
        if self.settings["creator"]:
            r["_creator"] = copy.deepcopy(CREATOR)
        if self.settings["access"]:
            r["_access"] = {"denied": [], "allowed": []}
        return r

    # -- faults
    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("_re") and not f["_re"].search(path):
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                return {k: v for k, v in f.items() if k != "_re"}
            return None

    # -- rate-limit headers on normal responses
    def rl_headers(self, route):
        with self.lock:
            now = self.now()
            window = now // RATE_WINDOW_MS
            k = (route, window)
            self.rl = {kk: v for kk, v in self.rl.items() if kk[1] == window}
            self.rl[k] = self.rl.get(k, 0) + 1
            left = max(0, self.settings["rate_limit_route_limit"] - self.rl[k])
            return [("X-Ratelimit-Route-Remaining", str(left)),
                    ("X-Ratelimit-Reset", str((window + 1) * RATE_WINDOW_MS))]


# ---------------------------------------------------------------- servers

class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, st, ctx):
        self.st = st
        self.ctx = ctx
        self.local = threading.local()
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        st = self.st
        with st.lock:
            st.conn_seq += 1
            conn = Conn(st.conn_seq, self.ctx is not None)
            if self.handler_kind == "api":
                st.stats["connections_total"] += 1
        sock = request
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.ctx is not None:
            try:
                request.settimeout(10)
                sock = self.ctx.wrap_socket(request, server_side=True)
            except CONN_ERRORS as e:
                if self.handler_kind == "api":
                    with st.lock:
                        st.stats["tls_failures"] += 1
                if st.verbose:
                    print("fake-ld: TLS handshake failed: %s" % e,
                          file=sys.stderr)
                try:
                    request.close()
                except OSError:
                    pass
                return
            if self.handler_kind == "api":
                with st.lock:
                    st.stats["tls_handshakes_total"] += 1
        self.local.conn = conn
        try:
            self.RequestHandlerClass(sock, client_address, self)
        finally:
            if sock is not request:
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                try:
                    sock.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, CONN_ERRORS) and not self.st.verbose:
            return
        print("fake-ld: error in handler: %r" % (exc,), file=sys.stderr)


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-ld/1.0"
    sys_version = ""
    timeout = 120

    def __getattr__(self, name):
        # Every method, known or not, goes through one dispatcher.
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.conn = self.server.local.conn
        self.st = self.server.st

    def log_message(self, fmt, *args):
        if self.server.st.verbose:
            sys.stderr.write("fake-ld: %s\n" % (fmt % args))

    def send_error(self, code, message=None, explain=None):
        """Errors from request parsing: JSON like the rest, then close."""
        self.close_connection = True
        try:
            body = jdump(error_body(code, message=message))
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except CONN_ERRORS:
            pass

    def read_body(self):
        """Return (bytes, None) or (None, (status, message))."""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                try:
                    n = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None, (400, "Bad chunked encoding")
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out), None
                if len(out) + n > MAX_REQUEST_BODY:
                    return None, (413, None)
                out += self.rfile.read(n)
                self.rfile.readline(65537)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", None
        if not re.fullmatch(r"[0-9]{1,12}", cl.strip()):
            return None, (400, "Bad Content-Length")
        n = int(cl)
        if n > MAX_REQUEST_BODY:
            return None, (413, None)
        data = self.rfile.read(n) if n else b""
        if len(data) != n:
            return None, (400, "Short request body")
        return data, None

    def send(self, status, body=b"", ctype="application/json", headers=(),
             close=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status not in (204, 304):
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        # Headers and body in one write (no Nagle/delayed-ACK stall).
        self._headers_buffer.append(b"\r\n")
        if body and self.command != "HEAD" and status not in (204, 304):
            self._headers_buffer.append(body)
        self.flush_headers()

    def drop(self):
        """Close the connection without writing anything."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def parsed(self):
        sp = urlsplit(self.path)
        q = parse_qs(sp.query, keep_blank_values=True)
        return sp.path or "/", sp.query, q

    def header_dict(self):
        h = {}
        for k, v in self.headers.items():
            lk = k.lower()
            if lk == "authorization":
                continue
            h[lk] = h[lk] + ", " + v if lk in h else v
        return h


def body_for_log(raw):
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")


class OtherHandler(BaseHandler):
    """The "other host": logs each request, answers 200 {}."""

    def dispatch(self):
        path, qs, q = self.parsed()
        body, err = self.read_body()
        st = self.st
        with st.lock:
            st.other_seq += 1
            st.other_log.append({
                "seq": st.other_seq, "time_ms": st.now(),
                "method": self.command, "path": path,
                "query": {k: v[0] for k, v in q.items()}, "query_string": qs,
                "headers": self.header_dict(),
                "auth_present": self.headers.get("Authorization") is not None,
                "body": body_for_log(body) if body else None,
                "connection": self.conn.id})
        if err:
            self.close_connection = True
        self.send(200, b"{}", close=err is not None)


# ---------------------------------------------------------------- API handler

def ep_is_keycheck(path):
    return path == "/_fake/keycheck"


def route_of(path):
    """(route name, allowed methods, config id or None) or None."""
    if path in ("/api/v2", "/api/v2/"):
        return "root", ("GET",), None
    if path == "/api/v2/caller-identity":
        return "caller-identity", ("GET",), None
    if path == "/api/v2/versions":
        return "versions", ("GET",), None
    if path == CONFIGS_PATH:
        return "configs", ("GET", "POST"), None
    if path == "/relay_auto_config":
        return "relay-stream", ("GET",), None
    if path.startswith(CONFIGS_PATH + "/"):
        rest = path[len(CONFIGS_PATH) + 1:].split("/")
        if len(rest) == 1 and rest[0]:
            return "config", ("GET", "PATCH", "DELETE"), unquote(rest[0])
        if len(rest) == 2 and rest[0] and rest[1] == "reset":
            return "reset", ("POST",), unquote(rest[0])
    return None


class ApiHandler(BaseHandler):

    def dispatch(self):
        st = self.st
        self.conn.nreq += 1
        path, qs, q = self.parsed()
        body, berr = self.read_body()
        if path == "/_fake" or path.startswith("/_fake/"):
            with st.lock:
                st.stats["control_requests"] += 1
                if self.conn.nreq == 1:
                    self.conn.control = True
                    st.stats["control_connections"] += 1
                    if self.conn.tls:
                        st.stats["control_tls_handshakes"] += 1
            if berr:
                self.close_connection = True
                return self.send(berr[0], jdump(error_body(berr[0], message=berr[1])),
                                 close=True)
            return self.control(self.command, path, q, body)
        with st.idle_cv:
            st.inflight += 1
        try:
            return self.api_request(path, qs, q, body, berr)
        finally:
            with st.idle_cv:
                st.inflight -= 1
                st.idle_cv.notify_all()

    def api_request(self, path, qs, q, body, berr):
        st = self.st
        method = self.command
        override = self.headers.get("X-HTTP-Method-Override")
        if method == "POST" and override and override.upper() in ("PATCH", "DELETE", "PUT"):
            method = override.upper()
        auth = self.headers.get("Authorization")
        with st.lock:
            st.stats["requests"] += 1
            st.seq += 1
            entry = {
                "seq": st.seq, "time_ms": st.now(), "real_time_ms": real_ms(),
                "method": self.command, "path": path,
                "query": {k: v[0] for k, v in q.items()},
                "query_string": qs, "headers": self.header_dict(),
                "auth_present": auth is not None,
                "auth_token_role": (st.role_of(auth) or "unknown") if auth is not None else None,
                "auth_token_label": token_label(auth) if auth is not None else None,
                "auth_has_scheme": bool(auth and re.match(r"(?i)(bearer|basic|token)\s", auth)),
                "body": body_for_log(body), "body_len": len(body or b""),
                "status": None, "fault": None,
                "connection": self.conn.id, "conn_request": self.conn.nreq,
            }
            if method != self.command:
                entry["effective_method"] = method
            st.log.append(entry)
        if berr:
            entry["status"] = berr[0]
            return self.send(berr[0], jdump(error_body(berr[0], message=berr[1])),
                             close=True)

        fault = st.take_fault(method, path)
        act = fault["action"] if fault else None
        if fault:
            entry["fault"] = act
        try:
            if act == "drop":
                return self.drop()
            if act == "delay" and fault.get("when", "before") == "before":
                time.sleep(float(fault.get("seconds", 1)))
            if act in REPLACING_ACTIONS:
                if fault.get("apply"):
                    self.route(method, path, q, body, auth)
                return self.fault_response(fault, entry, path, qs)
            status, headers, rbody, ctype = self.route(method, path, q, body, auth)
            if act == "apply_then_drop":
                return self.drop()
            if act == "truncate":
                return self.truncated(fault, entry, status, headers, rbody)
            if act == "delay" and fault.get("when") == "after":
                time.sleep(float(fault.get("seconds", 1)))
            close = path == "/relay_auto_config"
            entry["status"] = status
            self.send(status, rbody, ctype, headers, close=close)
        except CONN_ERRORS:
            self.close_connection = True

    # -- faults that replace the answer
    def fault_response(self, f, entry, path, qs):
        st = self.st
        act = f["action"]
        if act == "status":
            status = int(f.get("status", 500))
            b = f.get("body")
            if b is None:
                raw = jdump(error_body(status, with_id=st.settings["error_id"]))
            elif isinstance(b, str):
                raw = b.encode("utf-8")
            else:
                raw = jdump(b)
            entry["status"] = status
            return self.send(status, raw, f.get("content_type", "application/json"),
                             [(k, str(v)) for k, v in f.get("headers", {}).items()])
        if act == "rate_limit":
            now = st.now()
            hdrs = []
            if f.get("reset_offset_ms", 0) is not None:
                hdrs.append(("X-Ratelimit-Reset",
                             str(now + int(f.get("reset_offset_ms", 1000)))))
            if f.get("global"):
                hdrs.append(("X-Ratelimit-Global-Remaining", "0"))
            else:
                hdrs.append(("X-Ratelimit-Route-Remaining", "0"))
            if f.get("retry_after") is not None:
                hdrs.append(("Retry-After", str(f["retry_after"])))
            entry["status"] = 429
            return self.send(429, jdump(error_body(429, with_id=st.settings["error_id"])),
                             headers=hdrs)
        if act == "non_json":
            status = int(f.get("status", 502))
            raw = f.get("body") or ("<html><head><title>%d Bad Gateway</title></head>"
                                    "<body><h1>%d Bad Gateway</h1><hr>nginx</body></html>\n"
                                    % (status, status))
            entry["status"] = status
            return self.send(status, raw.encode("utf-8"),
                             f.get("content_type", "text/html"))
        if act == "redirect":
            status = int(f.get("status", 302))
            loc = f.get("location") or "%s://127.0.0.1:%d%s%s" % (
                st.scheme, st.other_port, path, "?" + qs if qs else "")
            entry["status"] = status
            return self.send(status, jdump({"location": loc}),
                             headers=[("Location", loc)])
        if act == "huge":
            size = int(f["bytes"]) if "bytes" in f else int(float(f.get("mib", 50)) * 1048576)
            prefix = b'{"items":[],"pad":"'
            entry["status"] = 200
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if size >= len(prefix) + 2:
                chunks = [prefix]
                left = size - len(prefix) - 2
                tail = b'"}'
            else:
                chunks, left, tail = [], size, b""
            for c in chunks:
                self.wfile.write(c)
            block = b"x" * 65536 if tail else b" " * 65536
            while left > 0:
                n = min(left, len(block))
                self.wfile.write(block[:n])
                left -= n
            if tail:
                self.wfile.write(tail)
            return None
        raise AssertionError(act)

    def truncated(self, f, entry, status, headers, rbody):
        if not rbody:
            rbody = jdump({"message": "fake-ld truncated response body"})
        status = int(f.get("status", status if status in (200, 201) else 200))
        cut = rbody[:len(rbody) // 2]
        full = f.get("content_length", "full") == "full"
        entry["status"] = status
        self.close_connection = True
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(rbody) if full else len(cut)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(cut)
        self.wfile.flush()
        self.drop()

    # -- the API proper
    def err(self, status, code=None, message=None, headers=()):
        return (status, list(headers),
                jdump(error_body(status, code, message, self.st.settings["error_id"])),
                "application/json")

    def ok(self, status, obj, headers=()):
        return status, list(headers), jdump(obj), "application/json"

    def route(self, method, path, q, body, auth):
        st = self.st
        r = route_of(path)
        if r is None:
            return self.err(404, message="Unknown path")
        name, methods, cid = r
        if method not in methods:
            return self.err(405, headers=[("Allow", ", ".join(methods))])
        if name == "relay-stream":
            return self.relay_stream(auth)
        rl = st.rl_headers(method + " " + name)
        if name == "root":
            return self.ok(200, {"links": {
                "relayAutoConfigs": {"href": CONFIGS_PATH, "type": "application/json"},
                "callerIdentity": {"href": "/api/v2/caller-identity",
                                   "type": "application/json"},
                "versions": {"href": "/api/v2/versions", "type": "application/json"}}},
                rl)
        role = st.role_of(auth) if auth is not None else None
        if role is None:
            return self.err(401, headers=rl)
        ver = self.headers.get("LD-API-Version")
        if st.settings["strict_version"] and ver is not None and ver != "beta" and \
                not (ver.isdigit() and int(ver) in VALID_VERSIONS):
            return self.err(400, message="Invalid API version", headers=rl)
        relay = name in ("configs", "config", "reset")
        write = method != "GET"
        if role == "none" or (role == "norelay" and relay) or \
                (role == "reader" and write):
            return self.err(403, headers=rl)
        if name == "caller-identity":
            with st.lock:
                tname = st.tokens.get(auth, {}).get("name")
            return self.ok(200, {
                "accountId": "5e1a0c0ffee0c0ffee0c0ffe",
                "authKind": "token", "tokenKind": "personal",
                "serviceToken": False,
                "tokenId": hashlib.sha256(auth.encode("utf-8", "surrogateescape")).hexdigest()[:24],
                "tokenName": tname or "fake token " + token_label(auth),
                "memberId": CREATOR["_id"]}, rl)
        if name == "versions":
            cur = int(ver) if ver and ver.isdigit() and int(ver) in VALID_VERSIONS else LATEST_VERSION
            return self.ok(200, {"validVersions": VALID_VERSIONS,
                                 "latestVersion": LATEST_VERSION,
                                 "currentVersion": cur, "beta": ver == "beta"}, rl)
        if name == "configs" and method == "GET":
            with st.lock:
                items = [st.rep(c) for c in st.configs.values()]
            return self.ok(200, {"items": items}, rl)
        if name == "configs":
            return self.create(body, rl)
        with st.lock:
            c = st.configs.get(cid)
            if c is None:
                return self.err(404, headers=rl)
            if name == "reset":
                return self.reset(c, q, rl)
            if method == "GET":
                return self.ok(200, st.rep(c), rl)
            if method == "DELETE":
                del st.configs[cid]
                st.deleted[cid] = [c["key"]] + [r["key"] for r in c["retired"]]
                return 204, rl, b"", None
            return self.patch(c, body, rl)

    def parse_json(self, body):
        try:
            return True, json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, AttributeError):
            return False, None

    def create(self, body, rl):
        st = self.st
        good, obj = self.parse_json(body)
        if not good or not isinstance(obj, dict):
            return self.err(400, headers=rl)
        name = obj.get("name")
        if not isinstance(name, str) or not name.strip():
            return self.err(400, message="name must be a non-empty string", headers=rl)
        prob = policy_problem(obj.get("policy"))
        if prob:
            return self.err(400, message=prob, headers=rl)
        with st.lock:
            c = st.make_config(name, obj["policy"])
            return self.ok(201, st.rep(c, full_key=True), rl)

    def patch(self, c, body, rl):
        st = self.st
        good, obj = self.parse_json(body)
        if not good:
            return self.err(400, headers=rl)
        doc = {"name": c["name"], "policy": copy.deepcopy(c["policy"])}
        try:
            if isinstance(obj, list):
                new = json_patch(doc, obj)
            elif isinstance(obj, dict) and "patch" in obj:
                if not isinstance(obj["patch"], list):
                    return self.err(400, message="patch must be an array", headers=rl)
                new = json_patch(doc, obj["patch"])
            elif isinstance(obj, dict) and "merge" in obj:
                m = obj["merge"]
                if not isinstance(m, dict):
                    return self.err(400, message="merge must be an object", headers=rl)
                for k in m:
                    if is_read_only([k]):
                        raise ReadOnlyError("field %s is read-only" % k)
                new = merge_patch(doc, m)
            else:
                return self.err(400, message="Expected {\"patch\":[...]}", headers=rl)
        except ReadOnlyError as e:
            return self.err(400, message=str(e), headers=rl)
        except PatchError as e:
            return self.err(422, message="Could not apply patch: %s" % e, headers=rl)
        if not isinstance(new, dict):
            return self.err(422, message="Could not apply patch: not an object", headers=rl)
        extra = set(new) - {"name", "policy"}
        if any(is_read_only([k]) for k in extra):
            return self.err(400, message="read-only field", headers=rl)
        if extra or "name" not in new or "policy" not in new:
            return self.err(422, message="Could not apply patch: unknown field", headers=rl)
        if not isinstance(new["name"], str) or not new["name"].strip():
            return self.err(400, message="name must be a non-empty string", headers=rl)
        prob = policy_problem(new["policy"])
        if prob:
            return self.err(400, message=prob, headers=rl)
        c["name"] = new["name"]
        c["policy"] = new["policy"]
        c["lastModified"] = max(st.now(), c["lastModified"])
        return self.ok(200, st.rep(c), rl)

    def reset(self, c, q, rl):
        st = self.st
        now = st.now()
        exp = q.get("expiry")
        if exp is not None:
            if len(exp) != 1 or not re.fullmatch(r"-?[0-9]{1,18}", exp[0]):
                return self.err(400, message="expiry must be an integer (Unix ms)",
                                headers=rl)
            expires = max(int(exp[0]), now)
        else:
            expires = now
        retired = {"key": c["key"], "expiresAt": expires, "retiredAt": now}
        if st.settings["retired_keys"] == "latest-only":
            c["retired"] = [retired]
        else:
            c["retired"].append(retired)
        c["key"] = st.new_key()
        c["lastModified"] = max(now, c["lastModified"])
        return self.ok(200, st.rep(c, full_key=True), rl)

    def relay_stream(self, key):
        valid = False
        if key is not None:
            valid = self.st.key_lookup(key)[0]
        if not valid:
            return self.err(401)
        ev = b'event: put\ndata: {"path":"/","data":{"environments":{},"filters":{}}}\n\n'
        return 200, [("Cache-Control", "no-cache")], ev, "text/event-stream"

    # -- control interface
    def control(self, method, path, q, body):
        st = self.st
        obj = None
        ctype = (self.headers.get("Content-Type") or "").lower()
        if ep_is_keycheck(path) and ctype.startswith("text/plain"):
            # Raw key as the body (keeps it out of argv in shell helpers).
            obj = {"key": (body or b"").decode("utf-8", "replace").rstrip("\r\n")}
        elif body:
            try:
                obj = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return self.cerr(400, "control body is not JSON")
        ep = path[len("/_fake/"):] if path.startswith("/_fake/") else ""
        fn = getattr(self, "c_" + ep.replace("-", "_"), None) if re.fullmatch(r"[a-z-]+", ep) else None
        if fn is None:
            return self.cerr(404, "unknown control endpoint")
        try:
            res = fn(method, q, obj)
        except (ValueError, TypeError, KeyError, re.error) as e:
            return self.cerr(400, "bad control request: %s" % e)
        if res is None:
            return self.cerr(405, "method not allowed on this control endpoint")
        status, out = res
        self.send(status, jdump(out))
        if ep == "shutdown" and method == "POST":
            st.stop.set()
        return None

    def cerr(self, status, msg):
        self.send(status, jdump({"code": "fake_control", "message": msg}))

    def c_tokens(self, method, q, o):
        st = self.st
        if method == "GET":
            with st.lock:
                return 200, [{"label": token_label(t), "role": v["role"],
                              "name": v.get("name")} for t, v in st.tokens.items()]
        if method not in ("POST", "DELETE"):
            return None
        if not isinstance(o, dict) or not isinstance(o.get("token"), str):
            raise ValueError("need {\"token\": STRING, \"role\": ROLE}")
        role = o.get("role")
        with st.lock:
            if method == "DELETE" or role is None:
                st.tokens.pop(o["token"], None)
                return 200, {"removed": token_label(o["token"])}
            if role not in ROLES:
                raise ValueError("role must be one of %s" % ", ".join(ROLES))
            st.tokens[o["token"]] = {"role": role, "name": o.get("name")}
        return 200, {"label": token_label(o["token"]), "role": role}

    def c_faults(self, method, q, o):
        st = self.st
        if method == "GET":
            with st.lock:
                return 200, [{k: v for k, v in f.items() if k != "_re"} for f in st.faults]
        if method == "DELETE":
            with st.lock:
                n = len(st.faults)
                st.faults = []
            return 200, {"cleared": n}
        if method != "POST":
            return None
        if isinstance(o, dict) and "faults" in o:
            o = o["faults"]
        lst = o if isinstance(o, list) else [o]
        new = []
        for f in lst:
            if not isinstance(f, dict):
                raise ValueError("fault must be an object")
            f = dict(f)
            if f.get("action") not in FAULT_ACTIONS:
                raise ValueError("action must be one of %s" % ", ".join(FAULT_ACTIONS))
            f["count"] = int(f.get("count", 1))
            if f["count"] == 0 or f["count"] < -1:
                raise ValueError("count must be >= 1 or -1")
            if f.get("path") is not None:
                f["_re"] = re.compile(f["path"])
            if f.get("method") is not None and not isinstance(f["method"], str):
                raise ValueError("method must be a string")
            if "status" in f and not 100 <= int(f["status"]) <= 599:
                raise ValueError("bad status")
            new.append(f)
        with st.lock:
            st.faults.extend(new)
            n = len(st.faults)
        return 200, {"queued": len(new), "pending": n}

    def c_clock(self, method, q, o):
        st = self.st
        if method == "POST":
            if not isinstance(o, dict):
                raise ValueError("need {\"offset_ms\": N}")
            with st.lock:
                if "offset_ms" in o:
                    st.offset_ms = int(o["offset_ms"])
                elif "advance_ms" in o:
                    st.offset_ms += int(o["advance_ms"])
                elif "now_ms" in o:
                    st.offset_ms = int(o["now_ms"]) - real_ms()
                else:
                    raise ValueError("need offset_ms, advance_ms or now_ms")
        elif method != "GET":
            return None
        with st.lock:
            return 200, {"now_ms": st.now(), "offset_ms": st.offset_ms}

    def c_config(self, method, q, o):
        st = self.st
        if method == "POST":
            if not isinstance(o, dict):
                raise ValueError("need a JSON object")
            with st.lock:
                s = dict(st.settings)
                for k, v in o.items():
                    if k not in s:
                        raise ValueError("unknown setting %s" % k)
                    if k == "retired_keys" and v not in ("keep-all", "latest-only"):
                        raise ValueError("retired_keys: keep-all or latest-only")
                    if k == "rate_limit_route_limit":
                        v = int(v)
                    elif k != "retired_keys" and not isinstance(v, bool):
                        raise ValueError("%s must be true or false" % k)
                    s[k] = v
                st.settings = s
        elif method != "GET":
            return None
        with st.lock:
            return 200, dict(st.settings)

    def c_log(self, method, q, o):
        st = self.st
        with st.lock:
            if method == "DELETE":
                n = len(st.log)
                st.log = []
                return 200, {"cleared": n}
            if method != "GET":
                return None
            since = int(q.get("since", ["0"])[0])
            return 200, [copy.deepcopy(e) for e in st.log if e["seq"] > since]

    def c_other_log(self, method, q, o):
        st = self.st
        with st.lock:
            if method == "DELETE":
                n = len(st.other_log)
                st.other_log = []
                return 200, {"cleared": n}
            if method != "GET":
                return None
            return 200, copy.deepcopy(st.other_log)

    def c_state(self, method, q, o):
        if method != "GET":
            return None
        st = self.st
        with st.lock:
            now = st.now()
            out = []
            for c in st.configs.values():
                out.append({
                    "_id": c["_id"], "name": c["name"], "policy": c["policy"],
                    "fullKey": c["key"], "displayKey": c["key"][-4:],
                    "creationDate": c["creationDate"],
                    "lastModified": c["lastModified"],
                    "retired": [dict(r, expired=r["expiresAt"] <= now)
                                for r in c["retired"]]})
            return 200, {"now_ms": now, "offset_ms": st.offset_ms,
                         "settings": dict(st.settings), "configs": out,
                         "deleted": sorted(st.deleted)}

    def c_keycheck(self, method, q, o):
        if method != "POST":
            return None
        if not isinstance(o, dict) or not isinstance(o.get("key"), str):
            raise ValueError("need {\"key\": STRING}")
        valid, cid, current, exp = self.st.key_lookup(o["key"])
        out = {"valid": valid, "id": cid, "current": current}
        if exp is not None:
            out["expiresAt"] = exp
        return 200, out

    def c_idle(self, method, q, o):
        """Waits until no API request is being answered (a delayed one
        included), at most ?timeout= seconds (default 10)."""
        if method != "GET":
            return None
        timeout = float(q.get("timeout", ["10"])[0])
        st = self.st
        with st.idle_cv:
            idle = st.idle_cv.wait_for(lambda: st.inflight == 0, timeout)
            n = st.inflight
        return (200 if idle else 503), {"idle": idle, "inflight": n}

    def c_stats(self, method, q, o):
        st = self.st
        with st.lock:
            s = st.stats
            if method == "DELETE":
                for k in s:
                    s[k] = 0
                return 200, dict(s)
            if method != "GET":
                return None
            out = {"connections": s["connections_total"] - s["control_connections"],
                   "tls_handshakes": s["tls_handshakes_total"] - s["control_tls_handshakes"],
                   "requests": s["requests"]}
            out.update(s)
            return 200, out

    def c_configs(self, method, q, o):
        st = self.st
        if method == "DELETE":
            with st.lock:
                n = len(st.configs)
                for cid, c in st.configs.items():
                    st.deleted[cid] = [c["key"]] + [r["key"] for r in c["retired"]]
                st.configs = {}
            return 200, {"deleted": n}
        if method != "POST":
            return None
        if not isinstance(o, dict):
            raise ValueError("need a JSON object")
        pol = o.get("policy", [{"actions": ["*"], "effect": "allow",
                                 "resources": ["proj/*:env/*"]}])
        if policy_problem(pol):
            raise ValueError(policy_problem(pol))
        if "bulk" in o:
            n = int(o["bulk"])
            if not 0 < n <= 100000:
                raise ValueError("bulk must be 1..100000")
            prefix = str(o.get("prefix", "relay-"))
            width = len(str(n))
            items = []
            with st.lock:
                for i in range(1, n + 1):
                    c = st.make_config("%s%0*d" % (prefix, width, i), copy.deepcopy(pol))
                    items.append({"_id": c["_id"], "name": c["name"], "fullKey": c["key"]})
            return 201, {"count": n, "items": items}
        name = o.get("name")
        if not isinstance(name, str):
            raise ValueError("need {\"name\": STRING}")
        cid = o.get("id")
        if cid is not None and not (isinstance(cid, str) and re.fullmatch(r"[0-9a-f]{24}", cid)):
            raise ValueError("id must be 24 lowercase hex")
        key = o.get("key")
        if key is not None and not isinstance(key, str):
            raise ValueError("key must be a string")
        created = o.get("creationDate")
        with st.lock:
            if cid in st.configs:
                raise ValueError("id exists")
            c = st.make_config(name, pol, cid, key,
                               None if created is None else int(created))
            return 201, st.rep(c, full_key=True)

    def c_shutdown(self, method, q, o):
        if method != "POST":
            return None
        return 200, {"shutdown": True}


# ---------------------------------------------------------------- main

def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake LaunchDarkly relay-auto-config API")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--other-port", type=int, default=0)
    ap.add_argument("--other-port-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--plain-http", action="store_true")
    ap.add_argument("--tokens", help="JSON file {token: role} or {token: {role, name}}")
    ap.add_argument("--retired-keys", choices=("keep-all", "latest-only"), default="keep-all")
    ap.add_argument("--no-creator", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    st = State(args)
    if args.tokens:
        with open(args.tokens) as f:
            toks = json.load(f)
        for t, v in toks.items():
            if isinstance(v, str):
                v = {"role": v}
            if v.get("role") not in ROLES:
                ap.error("token role must be one of %s" % ", ".join(ROLES))
            st.tokens[t] = {"role": v["role"], "name": v.get("name")}

    ctx = None
    if not args.plain_http:
        if not args.cert or not args.key:
            ap.error("--cert and --key are required unless --plain-http")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)

    main_srv = FakeServer(("127.0.0.1", args.port), ApiHandler, st, ctx)
    main_srv.handler_kind = "api"
    other_srv = FakeServer(("127.0.0.1", args.other_port), OtherHandler, st, ctx)
    other_srv.handler_kind = "other"
    port = main_srv.server_address[1]
    st.other_port = other_srv.server_address[1]

    def on_signal(signum, frame):
        st.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                daemon=True) for s in (main_srv, other_srv)]
    for t in threads:
        t.start()
    os.makedirs(args.state_dir, exist_ok=True)
    write_atomic(os.path.join(args.state_dir, "pid"), "%d\n" % os.getpid())
    write_atomic(os.path.join(args.state_dir, "other_port"), "%d\n" % st.other_port)
    if args.other_port_file:
        write_atomic(args.other_port_file, "%d\n" % st.other_port)
    write_atomic(os.path.join(args.state_dir, "port"), "%d\n" % port)

    while not st.stop.wait(1):
        pass
    for s in (main_srv, other_srv):
        s.shutdown()
        s.server_close()
    for name in ("port", "other_port", "pid"):
        try:
            os.unlink(os.path.join(args.state_dir, name))
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
