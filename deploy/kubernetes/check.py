#!/usr/bin/env python3
"""Checks the Kubernetes manifests of deploy/kubernetes without a cluster.

1. Every document against the Kubernetes API's schema (batch/v1 Job,
   v1 PersistentVolumeClaim), strictly (unknown fields are errors), with
   the `kubernetes-validate` package (its bundled OpenAPI schemas).
2. What dualmatch needs of them: the shard Jobs are Indexed, run
   `--shard=auto` with `--shards` equal to their completions, write their
   part under /data/parts/<...>/part-$(JOB_COMPLETION_INDEX), and every pod
   mounts the shared claim the volume manifest defines at /data.

Then the same checks on mutants of the manifests (a misspelt field, a wrong
type, --shards not equal to completions, ...): each must be rejected, so
the check is shown to be able to fail. Exit 0 only when the manifests pass
and every mutant is caught.

    python3 deploy/kubernetes/check.py   # needs: pip install kubernetes-validate pyyaml
"""

import copy
import pathlib
import sys

import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
VERSION = "1.30.0"  # the oldest Kubernetes these manifests are written for


def load():
    docs = {}
    for path in sorted(HERE.glob("*.yaml")):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                docs[f"{path.name}#{i}"] = doc
    return docs


def arg_value(args, name):
    for a in args:
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def problems(docs):
    """Every problem of the set of manifests, as text (empty: all good)."""
    out = []
    for name, doc in docs.items():
        try:
            kubernetes_validate.validate(doc, VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            out.append(f"{name}: schema: {e.message} at {'/'.join(map(str, e.path))}")
        except Exception as e:  # unknown kind or version
            out.append(f"{name}: {type(e).__name__}: {e}")
    claims = {d["metadata"]["name"] for d in docs.values() if d.get("kind") == "PersistentVolumeClaim"}
    if not claims:
        out.append("no PersistentVolumeClaim for the shared volume")
    jobs = {n: d for n, d in docs.items() if d.get("kind") == "Job"}
    if not any(d.get("spec", {}).get("completionMode") != "Indexed" for d in jobs.values()):
        out.append("no merge Job (a Job that is not Indexed)")
    for name, d in jobs.items():
        spec = d.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        vols = {v.get("name"): v.get("persistentVolumeClaim", {}).get("claimName") for v in pod.get("volumes", [])}
        if pod.get("restartPolicy") != "Never":
            out.append(f"{name}: restartPolicy must be Never (a failed shard must fail the Job, not loop)")
        for c in pod.get("containers", []):
            mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts", [])}
            if vols.get(mounts.get("/data")) not in claims:
                out.append(f"{name}: container {c.get('name')} does not mount the shared claim at /data")
            args = [str(a) for a in c.get("args", [])]
            if spec.get("completionMode") == "Indexed":
                if "dualmatch" not in c.get("command", []):
                    out.append(f"{name}: the shard container does not run dualmatch")
                if arg_value(args, "--shard") != "auto":
                    out.append(f"{name}: the shard container lacks --shard=auto")
                if arg_value(args, "--shards") != str(spec.get("completions")):
                    out.append(f"{name}: --shards={arg_value(args, '--shards')} but completions is {spec.get('completions')}")
                par, comp = spec.get("parallelism", 1), spec.get("completions", 1)
                if isinstance(par, int) and isinstance(comp, int) and par > comp:
                    out.append(f"{name}: parallelism above completions")
                outdir = arg_value(args, "--out") or ""
                if not (outdir.startswith("/data/parts/") and outdir.endswith("/part-$(JOB_COMPLETION_INDEX)")):
                    out.append(f"{name}: --out {outdir!r} is not /data/parts/<run>/part-$(JOB_COMPLETION_INDEX)")
            elif not any("merge" in a for a in args):
                out.append(f"{name}: the Job that is not Indexed does not run dualmatch merge")
    return out


def job(docs, name):
    return next(d for n, d in docs.items() if n.startswith(name))


def container(docs, name):
    return job(docs, name)["spec"]["template"]["spec"]["containers"][0]


def mutants(docs):
    """(what, mutated manifests): each must be rejected."""

    def m(what, change):
        d = copy.deepcopy(docs)
        change(d)
        return what, d

    def set_arg(d, name, flag, value):
        args = container(d, name)["args"]
        for i, a in enumerate(args):
            if str(a).startswith(flag + "="):
                args[i] = f"{flag}={value}"

    return [
        m("misspelt completionMode key", lambda d: job(d, "compare-job")["spec"].update(
            {"completionMod": job(d, "compare-job")["spec"].pop("completionMode")})),
        m("completionMode Indexd", lambda d: job(d, "compare-job")["spec"].update({"completionMode": "Indexd"})),
        m("parallelism as text", lambda d: job(d, "match-job")["spec"].update({"parallelism": "four"})),
        m("restartPolicy Always in a Job", lambda d: job(d, "merge-job")["spec"]["template"]["spec"].update(
            {"restartPolicy": "Always"})),
        m("container without a name", lambda d: container(d, "merge-job").pop("name")),
        m("unknown field in the container", lambda d: container(d, "compare-job").update({"volumeMount": []})),
        m("--shards not the completions", lambda d: set_arg(d, "compare-job", "--shards", "3")),
        m("fixed shard instead of auto", lambda d: set_arg(d, "match-job", "--shard", "0/4")),
        m("part not named by the index", lambda d: set_arg(d, "compare-job", "--out", "/data/parts/compare/part")),
        m("claim name typo", lambda d: job(d, "match-job")["spec"]["template"]["spec"]["volumes"][0]
          ["persistentVolumeClaim"].update({"claimName": "dualmatch-dta"})),
        m("apiVersion batch/v2", lambda d: job(d, "merge-job").update({"apiVersion": "batch/v2"})),
        m("PVC accessModes as a string", lambda d: next(x for n, x in d.items() if n.startswith("volume"))
          ["spec"].update({"accessModes": "ReadWriteMany"})),
    ]


def main():
    docs = load()
    found = problems(docs)
    for p in found:
        print(f"FAIL {p}")
    if found:
        return 1
    print(f"ok: {len(docs)} manifests valid against the Kubernetes {VERSION} schema (strict) and dualmatch's rules")
    missed = 0
    for what, d in mutants(docs):
        caught = problems(d)
        if caught:
            print(f"ok: mutant '{what}' rejected: {caught[0]}")
        else:
            print(f"FAIL mutant '{what}' was not rejected")
            missed += 1
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
