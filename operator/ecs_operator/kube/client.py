"""The operator's only door to the API server.

A thin JSON layer over the official client's connection handling (auth, TLS, proxies):
objects in and out are plain dicts, exactly what `render` produces. Writes are
server-side apply with one field manager, forced, so every reconcile states the whole
desired object and drift is undone (DESIGN.md, reconciliation rules).

Every request passes :meth:`Kube.request` or :meth:`Kube.watch_events`, so that is where
client-go's ``rest_client_requests_total`` and ``rest_client_request_duration_seconds`` are
recorded, when the client was given a :class:`..metrics.Metrics`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from ..metrics import NO_RESPONSE, Metrics
from ..vocabulary import FIELD_MANAGER
from .errors import ApiError, NotFound, NotLeader, api_error
from .resources import resource_for

__all__ = ["Kube", "FIELD_MANAGER", "check_fence", "connect"]

Obj = dict[str, Any]

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_fence(method: str, path: str, may_write: Callable[[str], bool] | None) -> None:
    """Refuse a write (any method but a read) to ``path`` while ``may_write(path)`` is false: the
    leader-election fence (the Lease of the path's shard is not held, or not renewed in time)."""
    if may_write is not None and method not in _READS and not may_write(path):
        raise NotLeader(f"{method} {path}: this replica does not hold the lease of its shard")


class Kube:
    """Requests against one cluster; safe to share between threads."""

    def __init__(
        self,
        api_client: k8s_client.ApiClient,
        headers: Mapping[str, str] | None = None,
        *,
        metrics: Metrics | None = None,
        fence: Callable[[str], bool] | None = None,
        user_agent: str | None = None,
    ) -> None:
        self._api = api_client
        self._headers: dict[str, str] = {"Accept": "application/json", **(headers or {})}
        self.metrics = metrics
        self._fence = fence
        self._user_agent = user_agent  # set after the client's own default headers, which would replace it
        self._host = _host_of(str(getattr(getattr(api_client, "configuration", None), "host", "") or ""))

    def impersonating(self, user: str) -> Kube:
        """The same connection acting as ``user`` (Kubernetes impersonation): RBAC decides what it may do.

        A service account's groups (system:serviceaccounts, ...:<namespace>) are added by the API
        server when only the user is named.
        """
        return Kube(
            self._api,
            {**self._headers, "Impersonate-User": user},
            metrics=self.metrics,
            fence=self._fence,
            user_agent=self._user_agent,
        )

    def fenced(self, may_write: Callable[[str], bool], user_agent: str | None = None) -> Kube:
        """The same connection, refusing a write to a path while ``may_write(path)`` is false (leader election).

        Reads and watches go on, so a standby's caches stay warm; ``user_agent`` names the replica
        in the API server's audit log.
        """
        return Kube(self._api, self._headers, metrics=self.metrics, fence=may_write, user_agent=user_agent)

    def _serialize(self, method: str, path: str, params: list[tuple[str, Any]], headers: dict[str, str]) -> Any:
        serialized = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=params,
            header_params=headers,
            auth_settings=["BearerToken"],  # token / exec-plugin auth; certificates work at the TLS layer
        )
        if self._user_agent:
            serialized[2]["User-Agent"] = self._user_agent
        return serialized

    def _record(self, method: str, code: str, started: float) -> None:
        if self.metrics is not None:
            self.metrics.requested(method, self._host, code, time.monotonic() - started)

    # -- transport -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = 30,
    ) -> Obj:
        check_fence(method, path, self._fence)
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = content_type  # the REST layer serialises JSON and +yaml bodies
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        _, url, hdrs, _, _ = self._serialize(method, path, params, headers)
        started, status = time.monotonic(), 0
        try:
            try:
                response = self._api.call_api(method, url, header_params=hdrs, body=body, _request_timeout=timeout)
                data = response.read()
                status = response.status
            except k8s_client.ApiException as exc:  # raised by the REST layer for non-2xx
                data = exc.body or b""
                status = exc.status or 0
        finally:  # no status: refused, reset or timed out before an answer
            self._record(method, str(status) if status else NO_RESPONSE, started)
        if status >= 400:
            raise _error_from(status, data)
        return json.loads(data) if data else {}

    def watch_events(self, path: str, *, query: Mapping[str, Any] | None = None, timeout: float = 330) -> Iterator[Obj]:
        """Stream a watch (``?watch=1``) as decoded events, one per line, until the server ends it."""
        params = [(k, v) for k, v in {**(query or {}), "watch": "1"}.items() if v is not None]
        _, url, hdrs, _, _ = self._serialize("GET", path, params, dict(self._headers))
        started = time.monotonic()
        try:
            response = self._api.call_api("GET", url, header_params=hdrs, _request_timeout=(10, timeout))
        except k8s_client.ApiException as exc:
            self._record("GET", str(exc.status) if exc.status else NO_RESPONSE, started)
            raise _error_from(exc.status or 0, exc.body or b"") from exc
        except BaseException:
            self._record("GET", NO_RESPONSE, started)
            raise
        self._record("GET", str(response.status), started)
        raw = response.response
        try:
            if response.status >= 400:
                raise _error_from(response.status, raw.read())
            pending = b""
            for chunk in raw.stream(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        finally:
            raw.release_conn()

    # -- objects ---------------------------------------------------------------------------
    def apply(self, obj: Obj, *, dry_run: bool = False, field_manager: str = FIELD_MANAGER) -> Obj:
        """Server-side apply `obj` (forced, field manager `ecs-operator` unless told otherwise).

        Objects several owners share (a task role's ServiceAccount) are applied with one field
        manager per owner, so apply merges their ownerReferences instead of replacing them.
        """
        res = resource_for(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        return self.request(
            "PATCH",
            res.path(meta.get("namespace"), meta["name"]),
            query={"fieldManager": field_manager, "force": "true", "dryRun": "All" if dry_run else None},
            body=obj,
            content_type="application/apply-patch+yaml",
        )

    def apply_status(self, obj: Obj) -> Obj:
        """Server-side apply of the status subresource (obj carries only identity + status)."""
        res = resource_for(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        return self.request(
            "PATCH",
            res.path(meta.get("namespace"), meta["name"], "status"),
            query={"fieldManager": FIELD_MANAGER, "force": "true"},
            body=obj,
            content_type="application/apply-patch+yaml",
        )

    def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Obj,
        *,
        subresource: str | None = None,
    ) -> Obj:
        res = resource_for(api_version, kind)
        return self.request(
            "PATCH", res.path(namespace, name, subresource), body=patch, content_type="application/merge-patch+json"
        )

    def replace(self, obj: Obj, *, field_manager: str = FIELD_MANAGER) -> Obj:
        """PUT the whole object; ``metadata.resourceVersion`` makes it fail with Conflict if it moved."""
        res = resource_for(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        return self.request(
            "PUT", res.path(meta.get("namespace"), meta["name"]), query={"fieldManager": field_manager}, body=obj
        )

    def create(self, obj: Obj) -> Obj:
        res = resource_for(obj["apiVersion"], obj["kind"])
        return self.request("POST", res.path(obj["metadata"].get("namespace")), body=obj)

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj:
        return self.request("GET", resource_for(api_version, kind).path(namespace, name))

    def get_or_none(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.get(api_version, kind, namespace, name)
        except NotFound:
            return None

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        label_selector = selector or (",".join(f"{k}={v}" for k, v in labels.items()) if labels else None)
        res = resource_for(api_version, kind)
        body = self.request(
            "GET", res.path(namespace), query={"labelSelector": label_selector, "fieldSelector": field_selector}
        )
        return list(body.get("items", []))

    def delete(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        propagation: str = "Background",
    ) -> bool:
        """Delete; True when this call deleted it, False when it was already gone."""
        body: Obj = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            self.request("DELETE", resource_for(api_version, kind).path(namespace, name), body=body)
            return True
        except NotFound:
            return False
        except ApiError as exc:
            if exc.status == 409 and uid:  # the uid precondition failed: a newer object has the name
                return False
            raise

    def resource_exists(self, api_version: str, plural: str) -> bool:
        """Is an API (e.g. a CRD like TargetGroupBinding) served by this cluster?"""
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            body = self.request("GET", base)
        except NotFound:
            return False
        return any(r.get("name") == plural for r in body.get("resources", []))


def _error_from(status: int, data: bytes | str) -> ApiError:
    try:
        body = json.loads(data)
        return api_error(status, body.get("reason", ""), body.get("message", str(body)))
    except (ValueError, TypeError):
        text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
        return api_error(status, "", text[:500])


def _host_of(url: str) -> str:
    """client-go's ``host`` label: the API server's host:port, without scheme or path."""
    return urlsplit(url).netloc or url


def connect(
    kubeconfig: str | None = None,
    *,
    in_cluster: bool = False,
    context: str | None = None,
    qps_pool: int = 32,
    metrics: Metrics | None = None,
) -> Kube:
    """A Kube for a kubeconfig file (or ~/.kube/config), else, in a pod, its service account."""
    configuration = k8s_client.Configuration()
    if kubeconfig or not in_cluster:
        k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
    else:
        k8s_config.load_incluster_config(client_configuration=configuration)
    configuration.connection_pool_maxsize = qps_pool
    return Kube(k8s_client.ApiClient(configuration), metrics=metrics)
