"""Reading deploy/k8s: every document of every *.yaml file, strictly (a duplicated key is an error,
as it is for `kubectl apply --validate=strict`), plus what the checks and the container test
need from them: the segexport config, the environment and the secret files of the pod."""
import glob
import os
import re

import yaml


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicated mapping keys instead of keeping the last one."""


def _strict_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def load_dir(k8s_dir):
    """[(file name, document)] for every non-empty document of k8s_dir/*.yaml, in file order."""
    docs = []
    for path in sorted(glob.glob(os.path.join(k8s_dir, "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            for doc in yaml.load_all(f, Loader=StrictLoader):
                if doc is not None:
                    docs.append((os.path.basename(path), doc))
    return docs


def one(docs, kind, name=None):
    """The single document of `kind` (and `name`); an AssertionError names what is missing."""
    found = [d for _, d in docs if d.get("kind") == kind
             and (name is None or d.get("metadata", {}).get("name") == name)]
    assert len(found) == 1, f"want exactly one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(deployment):
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, "the Deployment should run exactly one container"
    return containers[0]


def config_source(docs):
    """(ConfigMap, key, text) of the segexport config the Deployment's `-c` path names."""
    dep = one(docs, "Deployment")
    c = container(dep)
    args = c.get("args", [])
    assert "-c" in args, "the container's args name no config file (-c)"
    path = args[args.index("-c") + 1]
    for m in c.get("volumeMounts", []):
        if path.startswith(m["mountPath"].rstrip("/") + "/"):
            vol = volume(dep, m["name"])
            assert "configMap" in vol, f"{path} is not on a ConfigMap volume"
            cm = one(docs, "ConfigMap", vol["configMap"]["name"])
            key = path[len(m["mountPath"].rstrip("/")) + 1:]
            assert key in cm.get("data", {}), f"ConfigMap has no key {key}"
            return cm, key, cm["data"][key]
    raise AssertionError(f"no volume is mounted where the config {path} is")


def volume(deployment, name):
    for v in deployment["spec"]["template"]["spec"].get("volumes", []):
        if v["name"] == name:
            return v
    raise AssertionError(f"no volume {name}")


def secret_value(docs, name, key):
    s = one(docs, "Secret", name)
    data = s.get("stringData", {})
    assert key in data, f"Secret {name} has no key {key}"
    return data[key]


def environment(docs):
    """The container's environment as the kubelet would set it (values and secretKeyRefs)."""
    env = {}
    for e in container(one(docs, "Deployment")).get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secret_value(docs, ref["name"], ref["key"])
    return env


def secret_files(docs):
    """[(mount path, file name, value)] of every file the Deployment's secret volumes project."""
    dep = one(docs, "Deployment")
    files = []
    for m in container(dep).get("volumeMounts", []):
        vol = volume(dep, m["name"])
        if "secret" not in vol:
            continue
        name = vol["secret"]["secretName"]
        items = vol["secret"].get("items") or [
            {"key": k, "path": k} for k in one(docs, "Secret", name).get("stringData", {})]
        for it in items:
            files.append((m["mountPath"], it["path"], secret_value(docs, name, it["key"])))
    return files


def env_references(text):
    """Names of the ${VAR} references in a config text (comments excluded)."""
    names = set()
    for line in text.splitlines():
        names.update(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", line.split(" #")[0]))
    return names
