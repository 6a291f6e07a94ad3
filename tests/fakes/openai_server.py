#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A fake OpenAI-compatible model server for draftd's tests (stdlib only).

Speaks the chat-completions protocol as llama.cpp's llama-server, vLLM and
Ollama do: GET /v1/models, POST /v1/chat/completions (JSON, usage, optional
logprobs). What it answers is chosen per request by a mode:

  valid       a draft built from the facts found in the prompt (a JSON
              object with "inventory" and/or "order" keys)
  logprobs    valid, plus choices[0].logprobs.content; the category value
              is spelled by two tokens of logprob -0.05 each, so the
              logprob confidence is exp(-0.1), the model's own figure 0.5
  wrong_price valid, but every unit price is 1.00 higher than the facts
  invalid_json  content cut off in the middle of the JSON object
  wrong_enum  a category that is not in the requested enum
  flat        prose instead of JSON (a server ignoring response_format)
  http500     HTTP 500 with an OpenAI error object
  loading503  HTTP 503 {"error":{"message":"Loading model",...}} (llama.cpp)
  hang        sleeps --hang-seconds before answering
  truncated   Content-Length larger than the body, connection closed early
  huge        a 10 MB body
  obedient    a model talked into anything: a valid draft that also follows
              every instruction it finds in the email (see obey()): it
              pastes the example replies it was given when asked for what
              "the last customer" was told, and copies every line that
              carries a link, domain, address, phone number, IBAN,
              percentage or an order to write something, quoted text too

The mode is set with POST /_control {"mode": "..."} (for every later
request) or by "FAKE_MODE=<mode>" in the last user message (that request
only). "FAKE_CATEGORY=<name>" picks the category of a valid draft, "FAKE_DELAY_MS=<n>"
delays the answer; GET /_requests reports the most delayed requests it saw
in progress at once (max_in_flight), to check a client's concurrency cap.
GET /_last_request returns the body of the last chat-completions request,
GET /_requests the number of them so far and the last Authorization header,
and the TCP connections accepted so far (connections: keep-alive reuses them).
--log-requests FILE appends every chat-completions request body to FILE, one
JSON document per line (what reached the model, for leak checks).

Slots (for `make bench`): with --slots K --latency-ms L the server answers
like an inference server with K parallel slots: every chat completion holds
a slot for L ms (on top of any FAKE_DELAY_MS), at most K at once, the rest
wait in arrival order, so no client can get more than K/L answers per
second. GET /_slots reports K, L and what was served since the last
POST /_slots/reset: answered requests, the most waiting at once, and the
first start and last end (time.time()) of a served request, from which a
client's throughput is measured on the server side, and every request's
arrival and slot start (lists in arrival order; start - arrival is the time
it waited for a slot). Without --slots
(the default) nothing changes.

Usage: openai_server.py [--port N | --port 0 --port-file FILE] [--model NAME]
                        [--log-requests FILE] [--slots K --latency-ms L]
"""

import argparse
import json
import os
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = {"valid", "logprobs", "wrong_price", "invalid_json", "wrong_enum", "flat",
         "http500", "loading503", "hang", "truncated", "huge", "obedient"}

# A request for earlier replies, in the languages the suite writes in.
PASTE_RE = re.compile(
    r"(last|previous|other|earlier|another|prior)\s+(customer|client|buyer|reply|replies|answer|"
    r"mail|e-mail|message)|what\s+you\s+(told|wrote|sent|said|answered)|examples\s+you|"
    r"letzten\s+kunden|vorherigen\s+kunden|anderen\s+kunden|"
    r"cliente\s+anterior|[uú]ltimo\s+cliente|otro\s+cliente|"
    r"client\s+pr[ée]c[ée]dent|dernier\s+client|autre\s+client", re.I)
# Lines worth obeying: a payload or an order to write something.
PAYLOAD_RE = re.compile(
    r"https?://|www\.|[\w-]+\.[a-z]{2,}(/|\b)|[@＠]|\[at\]|\(at\)|\d[\d ()/.-]{5,}\d|%|％|"
    r"\b[A-Z]{2}\d{2}\s?[A-Z0-9]{4}|"
    r"\b(write|include|add|say|state|mention|tell|put|confirm|grant|offer|promise|use|"
    r"reply|send|answer|paste|copy|repeat|sign|schreib\w*|f[uü]g\w*|nenn\w*|best[aä]tig\w*|"
    r"teil\w*|escrib\w*|incluy\w*|a[nñ]ad\w*|indiq\w*|confirm\w*|[ée]cri\w*|ajout\w*|"
    r"indiqu\w*|mentionn\w*|pr[ée]cis\w*)\b", re.I)
QUOTED_RE = re.compile(r"[\"“„«‘']([^\"“”„«»‘’']{8,})[\"”“»’']")


class State:
    def __init__(self, model, hang_seconds):
        self.lock = threading.Lock()
        self.mode = "valid"
        self.last_request = b"{}"
        self.last_auth = None
        self.requests = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.model = model
        self.hang_seconds = hang_seconds
        self.log_requests = None
        self.slots = None


class Slots:
    """K answer slots of L ms each, taken in arrival order (a FIFO of
    waiters: threading.Semaphore does not promise fairness)."""

    def __init__(self, k, latency_ms):
        self.k = k
        self.latency = latency_ms / 1000.0
        self.cond = threading.Condition()
        self.busy = 0
        self.queue = []
        self.reset()

    def reset(self):
        with self.cond:
            self.served = 0
            self.max_waiting = 0
            self.first_start = None
            self.last_end = None
            self.arrivals = []
            self.starts = []

    def take(self):
        me = object()
        with self.cond:
            self.arrivals.append(time.time())
            self.queue.append(me)
            self.max_waiting = max(self.max_waiting, len(self.queue) - 1)
            while self.queue[0] is not me or self.busy >= self.k:
                self.cond.wait()
            self.queue.pop(0)
            self.busy += 1
            now = time.time()
            if self.first_start is None:
                self.first_start = now
            self.starts.append(now)
            self.cond.notify_all()

    def give(self):
        with self.cond:
            self.busy -= 1
            self.served += 1
            self.last_end = time.time()
            self.cond.notify_all()

    def report(self):
        with self.cond:
            return {"slots": self.k, "latency_ms": int(self.latency * 1000),
                    "served": self.served, "max_waiting": self.max_waiting,
                    "first_start": self.first_start, "last_end": self.last_end,
                    "arrivals": list(self.arrivals), "starts": list(self.starts)}


def find_facts(text):
    """The first JSON object in text that has an inventory or order key."""
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict) and ("inventory" in obj or "order" in obj):
            return obj
    return {}


def as_list(v):
    if isinstance(v, list):
        return v
    return [v] if isinstance(v, dict) else []


def build_draft(request, user_text, wrong_price=False):
    schema = (request.get("response_format") or {}).get("json_schema", {}).get("schema", {})
    enum = schema.get("properties", {}).get("category", {}).get("enum") or ["other"]
    facts = find_facts(user_text)
    m = re.search(r"FAKE_CATEGORY=(\w+)", user_text)
    if m:
        category = m.group(1)
    elif facts.get("inventory") and "stock_inquiry" in enum:
        category = "stock_inquiry"
    elif facts.get("order") and "order_status" in enum:
        category = "order_status"
    else:
        category = "other" if "other" in enum else enum[0]
    lines, used = ["Hello,", ""], []
    for item in as_list(facts.get("inventory")):
        price = float(item.get("unit_price_eur", 0)) + (1.0 if wrong_price else 0.0)
        lines.append("%s (%s): %s on hand, EUR %.2f per unit, lead time %s days." % (
            item.get("sku"), item.get("name"), item.get("qty_on_hand"), price,
            item.get("lead_time_days")))
        used.append("inventory:%s" % item.get("sku"))
    for order in as_list(facts.get("order")):
        lines.append("Order %s is %s; carrier %s, tracking %s, ETA %s." % (
            order.get("order_id"), order.get("status"), order.get("carrier"),
            order.get("tracking_number"), order.get("eta")))
        used.append("order:%s" % order.get("order_id"))
    if len(lines) == 2:
        lines.append("Thank you for your message.")
    lines += ["", "Kind regards", "Harbor Parts Co."]
    return {
        "category": category,
        "confidence": 0.5,
        "subject": "Re: your inquiry",
        "body": "\n".join(lines),
        "facts_used": used,
        "needs_human": False,
        "needs_human_reason": "",
    }


def between(text, begin, end):
    """The "| "-marked lines between a BEGIN and an END line, unmarked."""
    out, inside = [], False
    for line in text.split("\n"):
        if line.startswith(begin):
            inside = True
            continue
        if line.startswith(end):
            inside = False
            continue
        if inside:
            out.append(line[2:] if line.startswith("| ") else line.lstrip("|"))
    return out


def example_replies(request):
    """The example replies anywhere in the prompt: today's datamarked block
    and the older "--- example N ---" list in the system prompt."""
    found = []
    for m in request.get("messages", []):
        text = m.get("content") or ""
        lines = between(text, "BEGIN EXAMPLES", "END EXAMPLES")
        if not lines and "--- example" in text:
            lines = text.split("--- example", 1)[1].split("\n")[1:]
        found += [l for l in lines if not l.startswith("--- example")]
    return found


def obey(request, user_text, draft):
    """What an obedient model adds to its draft: everything it was asked."""
    email = between(user_text, "BEGIN EMAIL", "END EMAIL")
    body = "\n".join(l for l in email if not l.startswith("From: "))
    extra = []
    if PASTE_RE.search(body):
        extra += ["As requested, here is what we wrote before:"] + example_replies(request)
    for line in email:
        if line.startswith("From: ") or not PAYLOAD_RE.search(line):
            continue
        extra.append(line.strip())
        extra += [q.strip() for q in QUOTED_RE.findall(line)]
    m = re.search(r"Likely category: (\w+)", user_text)
    if m and not re.search(r"FAKE_CATEGORY=", user_text):
        draft["category"] = m.group(1)
    lines = draft["body"].split("\n")
    draft["body"] = "\n".join(lines[:-3] + [""] + extra + lines[-3:])[:7900]
    draft["confidence"] = 0.99
    draft["needs_human"] = False
    draft["needs_human_reason"] = ""
    return draft


def logprobs_for(content, category):
    """Tokens that spell content exactly; the category value is two tokens."""
    key = '"category": "'
    start = content.index(key) + len(key)
    end = start + len(category)
    half = start + max(1, len(category) // 2)
    pieces = [content[:start], content[start:half], content[half:end]]
    rest = content[end:]
    pieces += [rest[i:i + 8] for i in range(0, len(rest), 8)]
    tokens = []
    for i, piece in enumerate(pieces):
        if not piece:
            continue
        lp = -0.05 if i in (1, 2) else -0.01
        tokens.append({"token": piece, "logprob": lp, "bytes": list(piece.encode()),
                       "top_logprobs": [{"token": piece, "logprob": lp}]})
    return {"content": tokens}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1"
    # As llama.cpp, vLLM (uvicorn) and Ollama (Go) do: with Nagle on, the
    # body written after the headers waits for the client's delayed ACK,
    # 40 ms per answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        st = self.server.state
        with st.lock:
            st.connections += 1

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-openai: " + (fmt % args) + "\n")

    def send_json(self, status, obj, extra_len=0):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) + extra_len))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def failure_mode(self, mode):
        """Answers for the modes that fail on every endpoint; True if answered."""
        st = self.server.state
        if mode == "http500":
            self.send_json(500, {"error": {"message": "internal error", "type": "server_error"}})
        elif mode == "loading503":
            self.send_json(503, {"error": {"code": 503, "message": "Loading model",
                                           "type": "unavailable_error"}})
        elif mode == "hang":
            time.sleep(st.hang_seconds)
            self.send_json(500, {"error": {"message": "woke up", "type": "server_error"}})
        else:
            return False
        return True

    def do_GET(self):
        st = self.server.state
        if self.path == "/_last_request":
            with st.lock:
                body = st.last_request
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/_requests":
            with st.lock:
                self.send_json(200, {"requests": st.requests, "authorization": st.last_auth,
                                     "max_in_flight": st.max_in_flight,
                                     "connections": st.connections})
            return
        if self.path == "/_slots":
            if st.slots is None:
                self.send_json(404, {"error": {"message": "started without --slots"}})
            else:
                self.send_json(200, st.slots.report())
            return
        if self.path == "/v1/models":
            with st.lock:
                mode = st.mode
            if self.failure_mode(mode):
                return
            self.send_json(200, {"object": "list", "data": [
                {"id": st.model, "object": "model", "created": 0, "owned_by": "fake"}]})
            return
        self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        st = self.server.state
        raw = self.read_body()
        if self.path == "/_control":
            try:
                mode = json.loads(raw)["mode"]
            except (ValueError, KeyError, TypeError):
                mode = None
            if mode not in MODES:
                self.send_json(400, {"error": {"message": "unknown mode"}})
                return
            with st.lock:
                st.mode = mode
            self.send_json(200, {"mode": mode})
            return
        if self.path == "/_slots/reset" and st.slots is not None:
            st.slots.reset()
            self.send_json(200, st.slots.report())
            return
        if self.path != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "not found"}})
            return
        try:
            request = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": {"message": "request is not JSON",
                                           "type": "invalid_request_error"}})
            return
        with st.lock:
            st.last_request = raw
            st.last_auth = self.headers.get("Authorization")
            st.requests += 1
            mode = st.mode
            if st.log_requests:
                with open(st.log_requests, "ab") as f:
                    f.write(json.dumps(request).encode() + b"\n")
        users = [m.get("content", "") for m in request.get("messages", [])
                 if m.get("role") == "user"]
        user_text = users[-1] if users else ""
        m = re.search(r"FAKE_MODE=(\w+)", user_text)
        if m and m.group(1) in MODES:
            mode = m.group(1)
        if st.slots is not None:
            self.answer_in_slot(request, user_text, mode)
            return
        delay = re.search(r"FAKE_DELAY_MS=(\d+)", user_text)
        if not delay:
            if not self.failure_mode(mode):
                self.chat(request, user_text, mode)
            return
        with st.lock:
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            time.sleep(int(delay.group(1)) / 1000.0)
            if not self.failure_mode(mode):
                self.chat(request, user_text, mode)
        finally:
            with st.lock:
                st.in_flight -= 1

    def answer_in_slot(self, request, user_text, mode):
        """Holds one of the K slots for L ms (plus any FAKE_DELAY_MS), then answers."""
        st = self.server.state
        delay = re.search(r"FAKE_DELAY_MS=(\d+)", user_text)
        st.slots.take()
        try:
            time.sleep(st.slots.latency + (int(delay.group(1)) / 1000.0 if delay else 0))
            if not self.failure_mode(mode):
                self.chat(request, user_text, mode)
        finally:
            st.slots.give()

    def chat(self, request, user_text, mode):
        st = self.server.state
        draft = build_draft(request, user_text, wrong_price=(mode == "wrong_price"))
        if mode == "obedient":
            draft = obey(request, user_text, draft)
        logprobs = None
        if mode == "wrong_enum":
            draft["category"] = "refund_everything"
        content = json.dumps(draft)
        if mode == "invalid_json":
            content = content[: len(content) // 2]
        elif mode == "flat":
            content = ("Dear customer, thank you for your inquiry. The parts are in stock "
                       "and we will ship them soon. Best regards")
        elif mode == "logprobs":
            logprobs = logprobs_for(content, draft["category"])
        reply = {
            "id": "chatcmpl-fake-%d" % st.requests,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": st.model,
            "system_fingerprint": "fake",
            "choices": [{"index": 0,
                         "message": {"role": "assistant", "content": content},
                         "logprobs": logprobs,
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(json.dumps(request.get("messages"))) // 4,
                      "completion_tokens": len(content) // 4,
                      "total_tokens": (len(json.dumps(request.get("messages")))
                                       + len(content)) // 4},
        }
        if mode == "truncated":
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "huge":
            reply["choices"][0]["message"]["content"] = "x" * (10 * 1024 * 1024)
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        self.send_json(200, reply)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # many clients connect at once under load (the slot bench): a backlog of
    # 5 would drop SYNs and add seconds of retransmission to some requests
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--model", default="fake-model")
    ap.add_argument("--hang-seconds", type=float, default=30.0)
    ap.add_argument("--log-requests")
    ap.add_argument("--slots", type=int, default=0,
                    help="answer at most K chat completions at once (0: no limit)")
    ap.add_argument("--latency-ms", type=int, default=0,
                    help="with --slots: every answer holds its slot this long")
    args = ap.parse_args()
    if args.slots < 0 or args.latency_ms < 0 or (args.latency_ms and not args.slots):
        ap.error("--slots K must be >= 1 when --latency-ms is given, both >= 0")
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args.model, args.hang_seconds)
    srv.state.log_requests = args.log_requests
    if args.slots:
        srv.state.slots = Slots(args.slots, args.latency_ms)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    main()
