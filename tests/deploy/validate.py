#!/usr/bin/env python3
"""Offline validation of deploy/k8s (ctest `deploy_manifests`, label deploy).

  validate.py SEGEXPORT SOURCE_DIR          validate; exit 1 naming every failure
  validate.py --extract K8S_DIR OUT_DIR     write the pod's config, secret files and environment
                                            as podman arguments (tests/deploy/container.sh)

Every document is validated against its schema: Kubernetes kinds with kubernetes-validate (the
JSON schemas ship in its wheel; strict: unknown fields are errors) for the oldest and newest
Kubernetes versions we claim, KEDA kinds against KEDA's CRD OpenAPI schemas vendored in
tests/deploy/keda (made strict the same way). Then the manifests are checked against each other
and against the segexport config they carry: `segexport check` accepts it, and the KEDA trigger,
the probes, the grace period and the secret mounts agree with it.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes_validate
import yaml

import manifests as mf

K8S_VERSIONS = ["1.29.0", "1.37.0"]
HERE = os.path.dirname(os.path.abspath(__file__))
# Kafka scaler trigger metadata keys and enums, KEDA v2.20.2 pkg/scalers/kafka_scaler.go.
KAFKA_METADATA = {
    "bootstrapServers", "bootstrapServersFromEnv", "consumerGroup", "consumerGroupFromEnv",
    "topic", "topicFromEnv", "partitionLimitation", "lagThreshold", "activationLagThreshold",
    "offsetResetPolicy", "allowIdleConsumers", "excludePersistentLag",
    "scaleToZeroOnInvalidOffset", "limitToPartitionsWithLag",
    "ensureEvenDistributionOfPartitions", "version", "tls", "unsafeSsl", "sasl",
    "saslTokenProvider", "awsRegion"}
KAFKA_AUTH_PARAMS = {
    "tls", "ca", "cert", "key", "keyPassword", "sasl", "username", "password",
    "saslTokenProvider", "scopes", "oauthTokenEndpointUri", "oauthExtensions", "keytab", "realm",
    "kerberosConfig", "kerberosServiceName", "kerberosDisableFAST"}
SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512",
        "OAUTHBEARER": "oauthbearer", "GSSAPI": "gssapi"}
# After SIGTERM segexport needs shutdown_grace_ms for in-flight requests, then a synchronous
# commit and a group leave: this much on top before the kubelet's SIGKILL.
GRACE_MARGIN_MS = 5000
CRDS = {"ScaledObject": "keda.sh_scaledobjects.yaml",
        "TriggerAuthentication": "keda.sh_triggerauthentications.yaml"}
MODE_0400 = 0o400


def strict(schema):
    """A CRD's structural schema with unknown fields made errors, as `kubectl --validate=strict`
    reports them (the API server would silently prune them)."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if (schema.get("type") == "object" and "properties" in schema
                and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [strict(v) for v in schema]
    return schema


def crd_schema(kind, api_version):
    with open(os.path.join(HERE, "keda", CRDS[kind]), encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    version = api_version.split("/")[1]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return strict(v["schema"]["openAPIV3Schema"])
    raise AssertionError(f"KEDA CRD {kind} has no version {version}")


def schema_errors(docs):
    errors = []
    for fname, doc in docs:
        what = f"{fname}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("kind") in CRDS:
            validator = jsonschema.Draft7Validator(crd_schema(doc["kind"], doc["apiVersion"]))
            errors += [f"{what}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                       for e in validator.iter_errors(doc)]
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except (kubernetes_validate.ValidationError,
                    kubernetes_validate.SchemaNotFoundError) as e:
                path = ".".join(map(str, getattr(e, "path", [])))
                errors.append(f"{what}: Kubernetes {version}: {path}: {e.message}")
    return errors


def check_config(segexport, docs, cfg_text):
    """`segexport check` on the ConfigMap's text, with the Deployment's environment and its secret
    files. The only change to the text: each secret mount path is replaced by a temporary folder
    holding the same files (check reads *_file settings)."""
    env = dict(os.environ)
    env.update(mf.environment(docs))
    with tempfile.TemporaryDirectory() as tmp:
        text = cfg_text
        for i, (mount, fname, value) in enumerate(mf.secret_files(docs)):
            d = os.path.join(tmp, f"mount{i}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
                f.write(value)
            text = text.replace(mount.rstrip("/") + "/" + fname, os.path.join(d, fname))
        path = os.path.join(tmp, "segexport.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = subprocess.run([segexport, "check", "-c", path], env=env, capture_output=True,
                           text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    return [] if r.returncode == 0 and out.startswith("configuration OK") \
        else [f"segexport check: {out}"]


def check_deployment(docs, cfg):
    errors = []
    dep = mf.one(docs, "Deployment")
    pod = dep["spec"]["template"]["spec"]
    c = mf.container(dep)
    so = mf.one(docs, "ScaledObject")
    owned = so["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
    if owned and "replicas" in dep["spec"]:
        errors.append("Deployment sets replicas although the ScaledObject owns scaling")
    grace_ms = pod.get("terminationGracePeriodSeconds", 30) * 1000
    shutdown_ms = cfg.get("shutdown_grace_ms", 10000)
    if grace_ms <= shutdown_ms + GRACE_MARGIN_MS:
        errors.append(f"terminationGracePeriodSeconds {grace_ms // 1000} s is not above "
                      f"shutdown_grace_ms {shutdown_ms} ms + {GRACE_MARGIN_MS} ms")
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    want = [(psc.get("runAsNonRoot") or csc.get("runAsNonRoot"), "runAsNonRoot"),
            (csc.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem"),
            (csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false"),
            (csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop [ALL]"),
            ((csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
             == "RuntimeDefault", "seccompProfile RuntimeDefault")]
    errors += [f"container securityContext lacks {w}" for ok, w in want if not ok]
    res = c.get("resources", {})
    if not (res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
            and res.get("limits", {}).get("memory")):
        errors.append("resources need cpu and memory requests and a memory limit")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        port = ports.get(get.get("port"), get.get("port"))
        if get.get("path") != path or port != 9464:
            errors.append(f"{probe} should GET {path} on 9464, has {get}")
    # The probes reach segexport's listener only if the config opens it on the pod's IP.
    host, _, port = str(cfg.get("metrics_listen", "")).rpartition(":")
    if host not in ("0.0.0.0", "[::]") or port != "9464":
        errors.append(f"metrics_listen must be 0.0.0.0:9464 (or [::]:9464) for the probes, "
                      f"is {cfg.get('metrics_listen')!r}")
    for m in c.get("volumeMounts", []):
        vol = mf.volume(dep, m["name"])
        if "secret" in vol:
            if vol["secret"].get("defaultMode") != MODE_0400 or not m.get("readOnly"):
                errors.append(f"secret volume {m['name']} must be defaultMode 0400, readOnly")
            if any(it.get("mode", MODE_0400) != MODE_0400 for it in vol["secret"].get("items", [])):
                errors.append(f"secret volume {m['name']} has an item mode other than 0400")
    env = mf.environment(docs)
    _, _, text = mf.config_source(docs)
    missing = sorted(mf.env_references(text) - set(env))
    if missing:
        errors.append(f"config references ${{{', '.join(missing)}}} the container does not set")
    mounted = {os.path.join(mount, f) for mount, f, _ in mf.secret_files(docs)}
    for d in cfg.get("destinations", []):
        for k, v in (d.get("settings") or {}).items():
            if k.endswith("_file") and v not in mounted:
                errors.append(f"destination {d['name']}: {k} {v} is not a mounted secret file")
    pdb = mf.one(docs, "PodDisruptionBudget")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = pdb["spec"]["selector"]["matchLabels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        errors.append("PodDisruptionBudget selector does not select the Deployment's pods")
    return errors


def check_keda(docs, cfg):
    errors = []
    so = mf.one(docs, "ScaledObject")
    kafka = cfg["kafka"]
    env = mf.environment(docs)
    triggers = [t for t in so["spec"]["triggers"] if t["type"] == "kafka"]
    if [t.get("metadata", {}).get("topic") for t in triggers] != cfg["topics"]:
        errors.append(f"one kafka trigger per configured topic {cfg['topics']} needed")
    want_sasl = SASL.get(kafka.get("sasl.mechanisms", "").upper(), "none")
    want_tls = "enable" if kafka.get("security.protocol", "").upper() in ("SSL", "SASL_SSL") \
        else "disable"
    expand = {f"${{{k}}}": v for k, v in env.items()}
    bootstrap = expand.get(kafka["bootstrap.servers"], kafka["bootstrap.servers"])
    for t in triggers:
        md = t.get("metadata", {})
        auth = {}
        if "authenticationRef" in t:
            ta = mf.one(docs, "TriggerAuthentication", t["authenticationRef"]["name"])
            for ref in ta["spec"].get("secretTargetRef", []):
                if ref["parameter"] not in KAFKA_AUTH_PARAMS:
                    errors.append(f"TriggerAuthentication parameter {ref['parameter']} unknown")
                auth[ref["parameter"]] = mf.secret_value(docs, ref["name"], ref["key"])
        unknown = sorted(set(md) - KAFKA_METADATA)
        if unknown:
            errors.append(f"kafka trigger metadata keys unknown to KEDA: {unknown}")
        same = [("consumerGroup", md.get("consumerGroup"), kafka["group.id"]),
                ("bootstrapServers", md.get("bootstrapServers"), bootstrap),
                # KEDA's default is latest, segexport's earliest: it has to be spelled out.
                ("offsetResetPolicy", md.get("offsetResetPolicy"),
                 kafka.get("auto.offset.reset", "earliest")),
                ("sasl", md.get("sasl", auth.get("sasl", "none")), want_sasl),
                ("tls", md.get("tls", auth.get("tls", "disable")), want_tls)]
        errors += [f"kafka trigger {k} is {got!r}, the config says {want!r}"
                   for k, got, want in same if got != want]
        if want_sasl != "none":
            if auth.get("username") != env.get("KAFKA_USERNAME") \
                    or auth.get("password") != env.get("KAFKA_PASSWORD"):
                errors.append("TriggerAuthentication username/password differ from segexport's")
        lag = int(md.get("lagThreshold", "10"))
        if not 0 < lag <= cfg.get("max_inflight_events", 100000):
            errors.append(f"lagThreshold {lag} not in 1..max_inflight_events")
    partitions = int(so["metadata"].get("annotations", {}).get("segexport/topic-partitions", 0))
    if partitions <= 0:
        errors.append("ScaledObject needs annotation segexport/topic-partitions")
    elif so["spec"].get("maxReplicaCount", 100) > partitions:
        errors.append(f"maxReplicaCount {so['spec'].get('maxReplicaCount', 100)} exceeds the "
                      f"{partitions} partitions")
    return errors


def errors_of(segexport, k8s_dir):
    """Every failure found in k8s_dir, as one line each."""
    errors = []
    try:
        docs = mf.load_dir(k8s_dir)
        errors += schema_errors(docs)
        _, _, text = mf.config_source(docs)
        cfg = yaml.load(text, Loader=mf.StrictLoader)
        errors += check_config(segexport, docs, text)
        errors += check_deployment(docs, cfg)
        errors += check_keda(docs, cfg)
    except (AssertionError, KeyError, ValueError, yaml.YAMLError) as e:
        errors.append(f"{type(e).__name__}: {e}")
    return errors


# Planted errors: each edit of one manifest must make the validation fail with the given text,
# so that none of the checks above can pass whatever the manifests say.
MUTATIONS = [
    ("deployment.yaml", "  revisionHistoryLimit: 5\n", "  replicas: 3\n  revisionHistoryLimit: 5\n",
     "sets replicas"),
    ("deployment.yaml", "imagePullPolicy:", "imagePullPolicyy:", "imagePullPolicyy"),
    ("deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 25",
     "terminationGracePeriodSeconds"),
    ("deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
     "readOnlyRootFilesystem"),
    ("deployment.yaml", "drop: [\"ALL\"]", "drop: [\"NET_RAW\"]", "capabilities"),
    ("deployment.yaml", "defaultMode: 0400", "defaultMode: 0644", "0400"),
    ("deployment.yaml", "path: /readyz", "path: /ready", "readinessProbe"),
    ("deployment.yaml", "key: kafka_password}}", "key: kafka_pasword}}", "kafka_pasword"),
    ("deployment.yaml", "{key: meta_app_secret, path: meta_app_secret}",
     "{key: meta_app_secret, path: app_secret}", "not a mounted secret file"),
    ("configmap.yaml", "    dead_letter_topic:", "    dead_letter_topc:", "segexport check"),
    ("configmap.yaml", "    workers: 2\n", "    workers: 2\n    workers: 3\n", "duplicate key"),
    ("configmap.yaml", "metrics_listen: 0.0.0.0:9464", "metrics_listen: 127.0.0.1:9464",
     "metrics_listen"),
    ("configmap.yaml", "group.id: segexport-prod", "group.id: segexport-staging", "consumerGroup"),
    ("configmap.yaml", "sasl.mechanisms: SCRAM-SHA-512", "sasl.mechanisms: SCRAM-SHA-256", "sasl"),
    ("configmap.yaml", "shutdown_grace_ms: 20000", "shutdown_grace_ms: 40000",
     "terminationGracePeriodSeconds"),
    ("keda.yaml", "maxReplicaCount: 12", "maxReplicaCount: 13", "exceeds"),
    ("keda.yaml", "offsetResetPolicy: earliest", "offsetResetPolicy: latest", "offsetResetPolicy"),
    ("keda.yaml", "topic: segment-membership", "topic: segment-memberships", "topic"),
    ("keda.yaml", "lagThreshold: \"50000\"", "lagThreshold: \"500000\"", "lagThreshold"),
    ("keda.yaml", "consumerGroup: segexport-prod", "consumergroup: segexport-prod",
     "unknown to KEDA"),
    ("keda.yaml", "  cooldownPeriod: 300", "  cooldownPeriods: 300", "cooldownPeriods"),
    ("keda.yaml", "  pollingInterval: 30", "  pollingInterval: \"30\"", "pollingInterval"),
    ("keda.yaml", "{parameter: password,", "{parameter: passwd,", "passwd"),
    ("pdb.yaml", "maxUnavailable: 1", "maxUnavailable: 1\n  minAvailable: 1\n  bogus: 1", "bogus"),
    ("pdb.yaml", "matchLabels: {app.kubernetes.io/name: segexport}",
     "matchLabels: {app.kubernetes.io/name: other}", "PodDisruptionBudget selector"),
    ("secret.yaml", "kafka_password: EXAMPLE-scram-password",
     "kafka_pasword: EXAMPLE-scram-password", "kafka_password"),
]


def self_test(segexport, k8s_dir):
    """[(mutation, why it is a failure of the test)] for each planted error not caught."""
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        for fname, old, new, expect in MUTATIONS:
            shutil.rmtree(os.path.join(tmp, "k8s"), ignore_errors=True)
            shutil.copytree(k8s_dir, os.path.join(tmp, "k8s"))
            path = os.path.join(tmp, "k8s", fname)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if text.count(old) != 1:
                missed.append(f"{fname}: {old!r} occurs {text.count(old)} times, not once")
                continue
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new))
            errors = errors_of(segexport, os.path.join(tmp, "k8s"))
            if not any(expect in e for e in errors):
                missed.append(f"{fname}: {new.strip()!r} not reported as {expect!r} ({errors})")
    return missed


def validate(segexport, src):
    k8s_dir = os.path.join(src, "deploy", "k8s")
    errors = errors_of(segexport, k8s_dir)
    for e in errors:
        print(f"FAIL {e}")
    kinds = ", ".join(f"{f}:{d['kind']}" for f, d in mf.load_dir(k8s_dir)) if not errors else ""
    print(f"deploy: manifests {'FAIL' if errors else 'valid: ' + kinds}")
    if errors:
        return 1
    missed = self_test(segexport, k8s_dir)
    for m in missed:
        print(f"FAIL planted error not caught: {m}")
    print(f"deploy: {len(MUTATIONS) - len(missed)} of {len(MUTATIONS)} planted errors caught")
    return 1 if missed else 0


def extract(k8s_dir, out):
    """The pod's view for podman: config and secret files laid out as the kubelet would (secret
    files 0440, group 10001: defaultMode 0400 plus the group read fsGroup adds) and one podman
    argument a line in OUT/podman-args."""
    docs = mf.load_dir(k8s_dir)
    dep = mf.one(docs, "Deployment")
    gid = dep["spec"]["template"]["spec"]["securityContext"]["fsGroup"]
    cm, key, text = mf.config_source(docs)
    args = []
    for m in mf.container(dep)["volumeMounts"]:
        vol = mf.volume(dep, m["name"])
        d = os.path.join(out, m["name"])
        os.makedirs(d, exist_ok=True)
        if "configMap" in vol:
            with open(os.path.join(d, key), "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(os.path.join(d, key), 0o444)
        args.append(f"--volume={d}:{m['mountPath']}:ro")
    for i, (mount, fname, value) in enumerate(mf.secret_files(docs)):
        name = next(m["name"] for m in mf.container(dep)["volumeMounts"]
                    if m["mountPath"] == mount)
        p = os.path.join(out, name, fname)
        with open(p, "w", encoding="utf-8") as f:
            f.write(value)
        os.chown(p, 0, gid)
        os.chmod(p, 0o440)
    with open(os.path.join(out, "env"), "w", encoding="utf-8") as f:
        for k, v in mf.environment(docs).items():
            f.write(f"{k}={v}\n")
    args.append(f"--env-file={os.path.join(out, 'env')}")
    with open(os.path.join(out, "podman-args"), "w", encoding="utf-8") as f:
        f.write("\n".join(args) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--extract":
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(validate(sys.argv[1], sys.argv[2]))
