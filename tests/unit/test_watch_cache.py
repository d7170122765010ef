"""The watch caches follow add/modify/delete and key changes (kube.cache is pure bookkeeping)."""

from __future__ import annotations

from ecs_operator.kube.cache import Store


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
