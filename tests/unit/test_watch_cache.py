"""The watch caches follow add/modify/delete and key changes (kube.cache is pure bookkeeping)."""

from __future__ import annotations

from ecs_operator.kube.cache import Generations, Store
from ecs_operator.vocabulary import FINALIZER


def obj(name: str, key: str, ns: str = "prod", rv: str = "1") -> dict:
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": rv, "labels": {"k": key}}}


def test_store_tracks_events_and_moves_objects_between_keys() -> None:
    store = Store(lambda o: o["metadata"]["labels"].get("k"))
    store.observe("ADDED", obj("a", "x"))
    store.observe("ADDED", obj("b", "x"))
    store.observe("MODIFIED", obj("a", "x", rv="2"))
    assert sorted(o["metadata"]["name"] for o in store.get("prod", "x")) == ["a", "b"]
    assert {o["metadata"]["resourceVersion"] for o in store.get("prod", "x") if o["metadata"]["name"] == "a"} == {"2"}
    store.observe("MODIFIED", obj("a", "y", rv="3"))  # its key changed: it moves
    assert [o["metadata"]["name"] for o in store.get("prod", "x")] == ["b"]
    assert [o["metadata"]["name"] for o in store.get("prod", "y")] == ["a"]
    store.observe("DELETED", obj("b", "x"))
    assert store.get("prod", "x") == [] and len(store.all()) == 1
    assert store.get("other", "y") == []  # namespaces are separate


def ecs(generation: int, *, finalizers: tuple[str, ...] = (FINALIZER,), deleting: bool = False) -> dict:
    meta: dict = {"name": "web", "namespace": "prod", "generation": generation, "finalizers": list(finalizers)}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-02T00:00:00Z"
    return {"metadata": meta}


def test_generations_wake_a_reconcile_for_spec_changes_and_deletion_not_for_status_writes() -> None:
    seen = Generations()
    assert seen.changed("ECSService", None, ecs(1, finalizers=()))  # listed at start-up: resume it
    assert seen.changed("ECSService", "MODIFIED", ecs(1, finalizers=()))  # still not adopted: look again
    assert not seen.changed("ECSService", "MODIFIED", ecs(1))  # our finalizer arrived
    assert not seen.changed("ECSService", "MODIFIED", ecs(1))  # a status write
    assert seen.changed("ECSService", "MODIFIED", ecs(2))  # a spec change
    assert seen.changed("ECSService", "MODIFIED", ecs(2, deleting=True))  # its deletion began
    assert not seen.changed("ECSService", "MODIFIED", ecs(2, deleting=True))  # the drain's status writes
    assert not seen.changed("ECSService", "DELETED", ecs(2, deleting=True))
    assert seen.changed("ECSService", "ADDED", ecs(1))  # created again under the same name


def test_generations_of_a_kind_without_our_finalizer_ignore_its_absence() -> None:
    seen = Generations()
    assert seen.changed("TaskDefinition", "ADDED", ecs(1, finalizers=()), finalized=False)
    assert not seen.changed("TaskDefinition", "MODIFIED", ecs(1, finalizers=()), finalized=False)
    assert seen.changed("ECSService", "MODIFIED", ecs(1, finalizers=()))  # kinds are separate
