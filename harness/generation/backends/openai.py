"""``openai:`` backend: any OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama, ``transformers serve``).

Spec: ``openai:http://127.0.0.1:8000/v1#model-name`` plus options ``model``, ``api_key_env`` (the
*name* of an environment variable holding the key; the key itself is never stored in the spec,
logged, fingerprinted or put in an error message), ``mode`` (``chat`` or ``completion``),
``concurrency``, ``timeout``, ``max_attempts``, ``backoff``, ``max_backoff``, ``max_retry_after``,
``max_consecutive_failures``.

Requests run on an asyncio loop in a background thread with bounded concurrency. A request that
fails for good (after retries, or a 4xx) becomes ``Generation(output="", error=...)``: an
infrastructure error on that case, never a wrong answer. After ``max_consecutive_failures``
requests in a row failed for good, the server is taken as down and the remaining requests fail
fast instead of each waiting through its own retries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from harness.errors import ConfigError, InfrastructureError
from harness.generation.backends.base import ModelSpec, SpecContext, SpecSyntax, backend
from harness.generation.backends.logprobs import request_logprobs, score_probs
from harness.generation.backends.retry import RetryPolicy, is_retryable_status, parse_retry_after, retry_delay
from harness.types import Generation, GenerationRequest

log = logging.getLogger(__name__)

SERVED_MODEL_WARNING = (
    "served model: the server decides what answers behind this name; it can change (new weights, "
    "quantization, server version) without the name or base URL changing. Compare runs only when "
    "the recorded server details match.")

# Fields of a /v1/models entry that change between calls or with load state (vLLM's per-call
# 'created' and 'permission' ids, transformers' 'status'): left out so the fingerprint is stable.
_VOLATILE_MODEL_FIELDS = frozenset({"created", "status", "permission"})
_OPTION_NAMES = ("model", "api_key_env", "mode", "concurrency", "timeout", "max_attempts", "backoff",
                 "max_backoff", "max_retry_after", "max_consecutive_failures")
_SHARED_OPTIONS = ("harness_dir",)  # set by harness.project.config on every spec; not ours to check


def parse_openai_target(target: str) -> tuple[str, str | None]:
    """Split ``http://host:port/v1#model-name`` into ``(base_url, model)``; model is None without ``#``."""
    url, _, model = target.partition("#")
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"openai: target '{url}' is not an http(s) URL such as http://127.0.0.1:8000/v1",
                          field="model")
    return url, (model or None)


@dataclass(frozen=True)
class OpenAIOptions:
    """Validated settings of one ``openai:`` spec."""

    base_url: str
    model: str
    mode: Literal["chat", "completion"] = "chat"
    api_key_env: str | None = None
    concurrency: int = 8
    timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_consecutive_failures: int = 5

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> OpenAIOptions:
        """Read and check ``spec.target`` and ``spec.options``; ConfigError names the bad option."""
        opts = dict(spec.options)
        unknown = sorted(set(opts) - set(_OPTION_NAMES) - set(_SHARED_OPTIONS))
        if unknown:
            raise ConfigError(f"openai: unknown option(s) {', '.join(unknown)} "
                              f"(known: {', '.join(_OPTION_NAMES)})", field=unknown[0])
        base_url, target_model = parse_openai_target(spec.target)
        model = opts.get("model") or target_model
        if not model:
            raise ConfigError("openai: no model name; write openai:URL#model-name or set option 'model'",
                              field="model")
        mode = opts.get("mode", "chat")
        if mode not in ("chat", "completion"):
            raise ConfigError(f"openai: mode must be 'chat' or 'completion', not '{mode}'", field="mode")
        retry = RetryPolicy(max_attempts=_number(opts, "max_attempts", 5, int, 1),
                            backoff=_number(opts, "backoff", 0.5, float, 0),
                            max_backoff=_number(opts, "max_backoff", 30.0, float, 0),
                            max_retry_after=_number(opts, "max_retry_after", 120.0, float, 0))
        return cls(base_url=base_url, model=str(model), mode=mode,
                   api_key_env=opts.get("api_key_env") or None,
                   concurrency=_number(opts, "concurrency", 8, int, 1),
                   timeout=_number(opts, "timeout", 60.0, float, 0.001),
                   retry=retry,
                   max_consecutive_failures=_number(opts, "max_consecutive_failures", 5, int, 1))


def _number(opts: dict[str, Any], name: str, default: float, kind: type, minimum: float) -> Any:
    value = opts.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise ConfigError(f"openai: option '{name}' must be a{'n integer' if kind is int else ' number'}, "
                          f"not {value!r}", field=name)
    if value < minimum:
        raise ConfigError(f"openai: option '{name}' must be at least {minimum}, not {value}", field=name)
    return kind(value)


class _ApiKey:
    """Holds the key; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the key replaced."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "_ApiKey(***)"

    __str__ = __repr__


def read_api_key(env_name: str | None) -> _ApiKey | None:
    """The key from the environment variable ``env_name``; ConfigError (naming the variable) if unset."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(f"openai: environment variable {env_name} (option api_key_env) is not set",
                          field="api_key_env")
    return _ApiKey(value)


def request_body(options: OpenAIOptions, request: GenerationRequest) -> dict[str, Any]:
    """The JSON body for one request: messages (chat) or text (completion), GenParams mapped."""
    params = request.params
    body: dict[str, Any] = {"model": options.model, "max_tokens": params.max_new_tokens,
                            "temperature": params.temperature, "seed": request.seed}
    if options.mode == "chat":
        body["messages"] = request.prompt.as_dicts()
    else:
        body["prompt"] = request.prompt.text
    if params.top_p != 1.0:
        body["top_p"] = params.top_p
    if params.top_k:
        body["top_k"] = params.top_k  # not an OpenAI field; vLLM and llama.cpp accept it
    if params.stop:
        body["stop"] = list(params.stop)
    if request.score_tokens:
        request_logprobs(body, options.mode)
    return body


def parse_response(mode: str, payload: dict[str, Any],
                   score_tokens: Sequence[str] = ()) -> tuple[str, int | None, dict[str, Any]]:
    """``(text, completion tokens, meta)`` from a completion response; ValueError if malformed."""
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"] if mode == "chat" else choice["text"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"response has no choices[0].{'message.content' if mode == 'chat' else 'text'}") from exc
    usage = payload.get("usage") or {}
    meta = {k: v for k, v in (("finish_reason", choice.get("finish_reason")),
                              ("system_fingerprint", payload.get("system_fingerprint")),
                              ("served_model", payload.get("model"))) if v}
    probs = score_probs(mode, choice, score_tokens) if score_tokens else None
    if probs is not None:
        meta["score_probs"] = probs
    return text or "", usage.get("completion_tokens"), meta


@backend("openai")
class OpenAIBackend(SpecSyntax):
    """Generation through an OpenAI-compatible HTTP server."""

    @classmethod
    def parse_target(cls, target: str, ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """``openai:URL#model``: the URL is the target, the part after ``#`` the ``model`` option."""
        url, _, name = target.partition("#")
        return url, ({"model": name} if name else {})

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.options = OpenAIOptions.from_spec(spec)
        self._key = read_api_key(self.options.api_key_env)
        self._fingerprint: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={self.options.base_url!r}, model={self.options.model!r})"

    @property
    def endpoint(self) -> str:
        return self.options.base_url + ("/chat/completions" if self.options.mode == "chat" else "/completions")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key.reveal()}"} if self._key else {}

    def redact(self, text: str) -> str:
        return self._key.redact(text) if self._key else text

    def fingerprint(self) -> dict[str, Any]:
        """Base URL, model, mode and params, plus what ``/v1/models`` says about the model (stable fields).

        Asks the server once per backend (no generation); an unreachable server is recorded, not raised.
        """
        if self._fingerprint is None:
            entry, problem = self._server_model_entry()
            fp: dict[str, Any] = {"backend": "openai", "base_url": self.options.base_url,
                                  "model": self.options.model, "mode": self.options.mode,
                                  "params": dict(self.spec.params), "served": True,
                                  "server_model": entry, "warning": SERVED_MODEL_WARNING}
            if problem:
                fp["server_problem"] = problem
            self._fingerprint = fp
        return dict(self._fingerprint)

    def _server_model_entry(self) -> tuple[dict[str, Any] | None, str | None]:
        url = self.options.base_url + "/models"
        try:
            resp = httpx.get(url, headers=self.headers(), timeout=min(self.options.timeout, 30.0))
            resp.raise_for_status()
            entries = resp.json().get("data") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            return None, self.redact(f"GET {url} failed: {type(exc).__name__}: {exc}")
        for item in entries:
            if isinstance(item, dict) and item.get("id") == self.options.model:
                return {k: v for k, v in sorted(item.items()) if k not in _VOLATILE_MODEL_FIELDS}, None
        return None, f"model '{self.options.model}' is not listed by GET {url}"

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index, Generation)`` as responses arrive; requests run concurrently in a loop thread."""
        if not requests:
            return
        run = _AsyncRun(self, requests)
        try:
            for _ in range(len(requests)):
                item = run.results.get()
                if isinstance(item, BaseException):
                    raise InfrastructureError(self.redact(f"openai backend crashed: {item!r}")) from None
                yield item
        finally:
            run.stop()

    def close(self) -> None:
        """Nothing to release: each generate call opens and closes its own connections."""


class _AsyncRun:
    """One ``generate`` call: an event loop thread that puts ``(index, Generation)`` on ``results``."""

    def __init__(self, backend: OpenAIBackend, requests: Sequence[GenerationRequest]) -> None:
        self.backend, self.requests = backend, requests
        self.results: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._consecutive_failures = 0
        self._reported: set[str] = set()
        self._rng = random.Random()
        self._thread = threading.Thread(target=self._main, name="harness-openai", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel what is still running (the consumer stopped early) and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def _main(self) -> None:
        try:
            asyncio.run(self._run_all())
        except BaseException as exc:
            self.results.put(exc)

    async def _run_all(self) -> None:
        opts = self.backend.options
        limits = httpx.Limits(max_connections=opts.concurrency, max_keepalive_connections=opts.concurrency)
        stopper = asyncio.create_task(asyncio.to_thread(self._stop.wait))
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(opts.timeout), limits=limits,
                                         headers=self.backend.headers()) as client:
                semaphore = asyncio.Semaphore(opts.concurrency)
                tasks = [asyncio.create_task(self._one(client, semaphore, i, r))
                         for i, r in enumerate(self.requests)]
                everything = asyncio.gather(*tasks)
                await asyncio.wait({everything, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if not everything.done():  # the consumer stopped early
                    everything.cancel()
                    await asyncio.gather(everything, return_exceptions=True)
        finally:
            self._stop.set()  # also frees the thread that waits on it, however this ends
            await stopper

    async def _one(self, client: httpx.AsyncClient, semaphore: asyncio.Semaphore, index: int,
                   request: GenerationRequest) -> None:
        async with semaphore:
            if self._consecutive_failures >= self.backend.options.max_consecutive_failures:
                gen = Generation(output="", error=(
                    f"openai: not sent: {self._consecutive_failures} requests in a row to "
                    f"{self.backend.endpoint} failed, the server is taken as down"))
            else:
                try:
                    gen = await self._with_retries(client, request)
                except Exception as exc:
                    gen = Generation(output="", error=self.backend.redact(f"openai: {type(exc).__name__}: {exc}"))
            self._consecutive_failures = self._consecutive_failures + 1 if gen.error else 0
        if gen.error and gen.error not in self._reported:  # one warning per distinct problem, not per request
            self._reported.add(gen.error)
            log.warning("%s", gen.error)
        self.results.put((index, gen))

    async def _with_retries(self, client: httpx.AsyncClient, request: GenerationRequest) -> Generation:
        opts, started = self.backend.options, time.monotonic()
        body = request_body(opts, request)
        problem = ""
        for attempt in range(1, opts.retry.max_attempts + 1):
            t0 = time.monotonic()
            outcome = await self._attempt(client, body, request.score_tokens)
            if isinstance(outcome, Generation):
                return _finish(outcome, attempt, time.monotonic() - t0, started)
            problem, retryable, retry_after = outcome
            if not retryable:
                return _failure(problem, attempt, started)
            if attempt == opts.retry.max_attempts:
                break
            delay = retry_delay(opts.retry, attempt, retry_after, self._rng)
            if delay is None:
                return _failure(f"{problem}; the server asked to retry after {retry_after:.0f}s, "
                                f"more than max_retry_after={opts.retry.max_retry_after:g}s", attempt, started)
            log.warning("openai: %s (attempt %d of %d), retrying in %.2fs",
                        problem, attempt, opts.retry.max_attempts, delay)
            await asyncio.sleep(delay)
        return _failure(f"gave up after {opts.retry.max_attempts} attempts: {problem}",
                        opts.retry.max_attempts, started)

    async def _attempt(self, client: httpx.AsyncClient, body: dict[str, Any],
                       score_tokens: Sequence[str] = ()) -> Generation | tuple[str, bool, float | None]:
        """One HTTP attempt: a Generation, or ``(problem, retryable, retry_after)``."""
        be, url = self.backend, self.backend.endpoint
        try:
            resp = await asyncio.wait_for(client.post(url, json=body), be.options.timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return f"POST {url} timed out after {be.options.timeout:g}s", True, None
        except httpx.ConnectError as exc:  # nothing listens there (wrong host or port): retrying won't help
            return be.redact(f"cannot connect to {url} (ConnectError: {exc}); is the server running "
                             "on that host and port?"), False, None
        except httpx.TransportError as exc:
            return be.redact(f"POST {url} failed: {type(exc).__name__}: {exc}"), True, None
        if resp.status_code != 200:
            problem = be.redact(f"POST {url} returned HTTP {resp.status_code}: {resp.text[:300]}")
            return problem, is_retryable_status(resp.status_code), parse_retry_after(resp.headers.get("retry-after"))
        try:
            text, tokens, meta = parse_response(be.options.mode, resp.json(), score_tokens)
        except ValueError as exc:
            return be.redact(f"POST {url} returned an unreadable body: {exc}"), False, None
        return Generation(output=text, new_tokens=tokens, meta=meta)


def _finish(gen: Generation, attempts: int, latency: float, started: float) -> Generation:
    meta = {**gen.meta, "attempts": attempts, "total_s": round(time.monotonic() - started, 4)}
    return Generation(output=gen.output, new_tokens=gen.new_tokens, latency_s=latency, meta=meta)


def _failure(problem: str, attempts: int, started: float) -> Generation:
    return Generation(output="", error=f"openai: {problem}", latency_s=time.monotonic() - started,
                      meta={"attempts": attempts})
