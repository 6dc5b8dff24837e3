"""Proxies: models trained on a dataset that predict a simulator's metrics, saved so that
loading runs no code, and served behind the simulator protocol.

A model directory holds `manifest.json` and one file per modelled metric (`<metric>.txt`
for LightGBM text models, `<metric>.json` for the other families' arrays); a metric derived
from others (`cost_models.derived`) keeps its power law in the manifest. The manifest
records the model family, the environment id and arguments, the design space fingerprint,
the feature encoding, the metrics (name, unit, direction, target transform), the wrapped
simulator versions, the training data's hash and row count, validation scores and each
file's sha256. `load` reads only JSON and LightGBM text: it checks every file's hash
before it parses it, and an expectation (environment, space, simulator versions) before
it returns, and refuses a mismatch with one line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cost_models import derived, models, validation
from cost_models.dataset import Dataset, design_columns, read_json, write_json
from cost_models.features import FeatureEncoder
from simulators.base import BatchResult, CostModel, Designs, Metric, columns
from simulators.errors import ArchGymError, InvalidArgumentError

FORMAT = "archgym-proxy/1"
MANIFEST = "manifest.json"
VALIDITY = "validity.json"  # the validity classifier's trees, where there is one


@dataclass
class Proxy:
    """An encoder and one fitted regressor per metric."""

    family: str
    encoder: FeatureEncoder
    metrics: list[dict[str, str]]  # name, unit, direction, description, transform
    regressors: dict[str, models.Fitted]
    manifest: dict[str, Any] = field(default_factory=dict)
    validity: models.Fitted | None = None  # P(valid), where the training data had invalid

    def valid_probability(self, indices: np.ndarray) -> np.ndarray | None:
        """Each design's predicted probability of being valid (None: no classifier)."""
        if self.validity is None:
            return None
        return self.validity.predict(self.encoder.encode(indices))[0]

    @property
    def metric_names(self) -> list[str]:
        return [m["name"] for m in self.metrics]

    def predict(self, indices: np.ndarray) -> tuple[dict[str, np.ndarray],
                                                    dict[str, np.ndarray] | None]:
        """Each metric's prediction for a choice-index matrix, and its standard deviation
        where the family has one (None otherwise); derived metrics from the others'."""
        X = self.encoder.encode(indices)
        uncertain = models.has_uncertainty(self.family)
        means, stds = {}, {}
        for m in self.metrics:
            if "derived" not in m:
                z, s = self.regressors[m["name"]].predict(X)
                means[m["name"]], stds[m["name"]] = models.inverse(z, s, m["transform"])
        for m in self.metrics:
            if "derived" in m:
                means[m["name"]], stds[m["name"]] = derived.predict(
                    m["derived"], means, stds if uncertain else None)
        means = {name: means[name] for name in self.metric_names}
        return means, ({name: stds[name] for name in means} if uncertain else None)


def train(dataset: Dataset, family: str, metrics: Sequence[str] | None = None,
          rows: np.ndarray | None = None, seed: int = 0, transform: str = "auto",
          options: Mapping[str, Any] | None = None) -> Proxy:
    """A proxy of `family` for `metrics` (default: every metric of the dataset) fitted on
    the valid designs among `rows` (default all) of `dataset`. `options` go to the family;
    `options["per_metric"][metric]` replaces them for that metric. A stack member's
    `"features": "base"` leaves out the derived features, a list of derived feature names
    keeps only those (`member_columns`). A metric's `{"derived": [other
    metrics]}` fits it as a power law of those metrics' predictions (`cost_models.derived`);
    they must be metrics this proxy models."""
    models.check_family(family)
    every = dataset.frame if rows is None else dataset.frame.iloc[np.asarray(rows)]
    frame = every[every["valid"].astype(bool)]
    if len(frame) < 2:
        raise ArchGymError(f"{len(frame)} valid designs to train on; collect more")
    known = {m["name"]: m for m in dataset.metrics}
    names = list(metrics) if metrics else list(known)
    for name in names:
        if name not in known:
            raise InvalidArgumentError("metric", name, ", ".join(known))
    encoder = FeatureEncoder(dataset.manifest["space"])
    X = encoder.encode_columns(design_columns(frame, dataset.parameters))
    per_metric = {name: metric_options(options, name, encoder) for name in names}
    modelled = [name for name in names if "derived" not in per_metric[name]]
    chosen, regressors = [], {}
    for name in names:
        y = frame[f"metrics.{name}"].to_numpy(np.float64)
        if "derived" in per_metric[name]:
            of = per_metric[name]["derived"]
            if not isinstance(of, list | tuple) or not of or not set(of) <= set(modelled):
                raise InvalidArgumentError("derived", of, "a list of the metrics "
                                           f"{', '.join(modelled)} (modelled, not derived)")
            state = derived.fit(y, {s: frame[f"metrics.{s}"].to_numpy(np.float64) for s in of})
            chosen.append({**known[name], "transform": "identity", "derived": state})
            continue
        kind = models.choose_transform(y, transform)
        regressors[name] = models.fit(family, X, models.forward(y, kind), seed,
                                      **per_metric[name])
        chosen.append({**known[name], "transform": kind})
    validity = None
    if 0 < len(frame) < len(every):  # some designs invalid: learn which
        validity = models.fit_validity(
            encoder.encode_columns(design_columns(every, dataset.parameters)),
            every["valid"].to_numpy(bool), seed)
    return Proxy(family, encoder, chosen, regressors, validity=validity)


def metric_options(options: Mapping[str, Any] | None, metric: str,
                   encoder: FeatureEncoder) -> dict[str, Any]:
    """The family options for `metric` (see `train`), stack members' feature sets as
    column positions."""
    options = dict(options or {})
    chosen = dict(options.pop("per_metric", {}).get(metric, options))
    if "members" in chosen:
        chosen["members"] = [{**{k: v for k, v in m.items() if k != "features"},
                              **member_columns(m.get("features"), encoder)}
                             for m in chosen["members"]]
    return chosen


def member_columns(features: Any, encoder: FeatureEncoder) -> dict[str, list[int]]:
    """A stack member's feature columns: {} for all, {"columns": positions} for "base" (no
    derived feature) or a list of derived feature names (the base ones and those)."""
    if features is None:
        return {}
    derived_names = encoder.derived_names
    if features != "base" and not (isinstance(features, list | tuple)
                                   and set(features) <= set(derived_names)):
        raise InvalidArgumentError("features", features,
                                   f"base or a list of {', '.join(derived_names)}")
    keep = () if features == "base" else tuple(features)
    return {"columns": [i for i, n in enumerate(encoder.feature_names)
                        if n not in derived_names or n in keep]}


def predict_dataset(proxy: Proxy, dataset: Dataset, rows: np.ndarray | None = None
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The true and predicted metrics of the valid designs among `rows` of `dataset`."""
    frame = dataset.valid() if rows is None else \
        dataset.frame.iloc[np.asarray(rows)].pipe(lambda f: f[f["valid"].astype(bool)])
    indices = proxy.encoder.indices(design_columns(frame, dataset.parameters))
    predicted, _ = proxy.predict(indices)
    true = {m: frame[f"metrics.{m}"].to_numpy(np.float64) for m in proxy.metric_names}
    return true, predicted


def select(dataset: Dataset, metric: str, candidates: Mapping[str, Mapping[str, Any]],
           folds: int = 5, seed: int = 0, goal: Callable[[Mapping[str, float]], float] | None
           = None, mean: bool = True) -> tuple[str, dict[str, Any], dict[str, dict[str, float]]]:
    """The stack (`models` family "stack") for `metric` chosen by k-fold over the valid
    designs of `dataset` alone: `candidates` name single members ({"family", "options",
    "features"}) or a derived metric ({"derived": [metrics], "per_metric": {each of them:
    its stack options}}, see `train`); every candidate and the mean of the members are
    scored on out-of-fold predictions (the mean only with `mean`), and the lowest
    `goal(measures)` (default nrmse) wins. Returns its name, its stack options and every
    candidate's k-fold measures."""
    valid = np.flatnonzero(dataset.frame["valid"].astype(bool).to_numpy())
    n = len(valid)
    truth = dataset.frame[f"metrics.{metric}"].to_numpy(np.float64)[valid]
    order = np.random.default_rng(seed).permutation(n)
    out = {name: np.empty(n) for name in candidates}
    for fold in np.array_split(order, folds):
        for name, candidate in candidates.items():
            if "derived" in candidate:
                metrics = [*candidate["derived"], metric]
                options = {"per_metric": {**candidate["per_metric"],
                                          metric: {"derived": list(candidate["derived"])}}}
            else:
                metrics, options = [metric], {"members": [dict(candidate)]}
            model = train(dataset, "stack", metrics, rows=valid[np.setdiff1d(order, fold)],
                          seed=seed, options=options)
            out[name][fold] = predict_dataset(model, dataset, valid[fold])[1][metric]
    members = {name: c for name, c in candidates.items() if "derived" not in c}
    if mean and members:
        out["mean"] = np.mean([out[name] for name in members], axis=0)
    scores = {name: validation.measures(truth, p) for name, p in out.items()}
    best = min(scores, key=lambda k: (goal or (lambda r: r["nrmse"]))(scores[k]))
    if best != "mean" and "derived" in candidates[best]:
        return best, {"derived": list(candidates[best]["derived"])}, scores
    chosen = list(members.values()) if best == "mean" else [candidates[best]]
    return best, {"members": [dict(m) for m in chosen]}, scores


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save(proxy: Proxy, directory: str | Path, info: Mapping[str, Any]) -> Path:
    """Write `proxy` to `directory` with its manifest (`info` adds env_id, env_args,
    space_fingerprint, simulators, training_data, validation)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for m in proxy.metrics:
        if "derived" in m:
            continue
        fitted = proxy.regressors[m["name"]]
        if proxy.family == "lgbm":
            name, data = f"{m['name']}.txt", fitted.state.encode()
        else:
            name, data = f"{m['name']}.json", json.dumps(fitted.state).encode()
        (directory / name).write_bytes(data)
        files[name] = _sha256(data)
    if proxy.validity is not None:
        data = json.dumps(proxy.validity.state).encode()
        (directory / VALIDITY).write_bytes(data)
        files[VALIDITY] = _sha256(data)
    manifest = {"format": FORMAT, "model": proxy.family, **json.loads(json.dumps(dict(info))),
                "features": proxy.encoder.describe(), "metrics": proxy.metrics,
                "files": files}
    if proxy.validity is not None:
        manifest["validity"] = {"file": VALIDITY, "model": "random-forest classifier",
                                "invalid_below": 0.5}
    write_json(directory / MANIFEST, manifest)
    proxy.manifest = manifest
    return directory


def _refuse(directory: Path, why: str) -> ArchGymError:
    return ArchGymError(f"refusing proxy {directory}: {why}")


def load(directory: str | Path, expect: Mapping[str, Any] | None = None) -> Proxy:
    """The proxy saved in `directory`, reading only JSON and LightGBM text after checking
    each file's sha256 against the manifest; `expect` (env_id, space_fingerprint,
    simulators, env_args) must match what the manifest records. Any mismatch or damage is
    an ArchGymError in one line, raised before anything is parsed beyond the manifest."""
    directory = Path(directory)
    manifest = read_json(directory / MANIFEST, "a proxy model")
    if manifest.get("format") != FORMAT:
        raise _refuse(directory, f"manifest format {manifest.get('format')!r}, "
                                 f"expected {FORMAT}")
    family = manifest.get("model")
    if family not in models.FAMILIES:
        raise _refuse(directory, f"model {family!r} is none of {', '.join(models.FAMILIES)}")
    for problem in mismatches(manifest, expect or {}):
        raise _refuse(directory, problem)
    try:
        encoder = FeatureEncoder.from_description(manifest["features"])
        metrics, files = manifest["metrics"], manifest["files"]
        modelled = [m for m in metrics if "derived" not in m]
        names = [f"{m['name']}.{'txt' if family == 'lgbm' else 'json'}" for m in modelled]
    except (KeyError, TypeError, ArchGymError) as error:
        raise _refuse(directory, f"a damaged manifest ({error})") from None
    if VALIDITY in files:
        names.append(VALIDITY)
    if sorted(names) != sorted(files):
        raise _refuse(directory, f"the manifest lists files {sorted(files)}, its metrics "
                                 f"need {sorted(names)}")
    regressors, validity = {}, None
    for m, name in zip([*modelled, None][:len(names)], names, strict=True):
        path = directory / name
        if not path.is_file() or path.is_symlink():
            raise _refuse(directory, f"{name} is missing or not a regular file")
        data = path.read_bytes()
        if _sha256(data) != files[name]:
            raise _refuse(directory, f"{name} is not the file the manifest describes "
                                     "(sha256 differs)")
        try:
            text = data.decode("utf-8")
            if m is None:
                validity = models.restore("rf", json.loads(text))
                continue
            state = text if family == "lgbm" else json.loads(text)
            regressors[m["name"]] = models.restore(family, state)
        except (UnicodeDecodeError, json.JSONDecodeError, ArchGymError) as error:
            raise _refuse(directory, f"{name} does not parse as a "
                                     f"{'validity' if m is None else family} model "
                                     f"({str(error).splitlines()[0]})") from None
    for m in metrics:
        if "derived" in m:
            try:
                derived.check(m["derived"], list(regressors))
            except ArchGymError as error:
                raise _refuse(directory, f"metric {m['name']} is {error}") from None
    return Proxy(family, encoder, metrics, regressors, manifest, validity)


# Environment arguments that change the objective or episodes, not the simulated metrics.
OBJECTIVE_ARGS = ("reward", "metrics", "targets", "limits", "weights", "references", "quality",
                  "mode", "max_steps", "render_mode")


def mismatches(manifest: Mapping[str, Any], expect: Mapping[str, Any]) -> list[str]:
    """What differs between the manifest and the environment it is to serve."""
    out = []
    if "env_id" in expect and manifest.get("env_id") != expect["env_id"]:
        out.append(f"trained for {manifest.get('env_id')}, not {expect['env_id']}")
    if "space_fingerprint" in expect and \
            manifest.get("space_fingerprint") != expect["space_fingerprint"]:
        out.append(f"trained on design space {manifest.get('space_fingerprint')}, this "
                   f"environment's is {expect['space_fingerprint']}")
    stored = manifest.get("simulators") or {}
    for name, version in (expect.get("simulators") or {}).items():
        if name in stored and stored[name] != version:
            out.append(f"trained on {name} version {stored[name]}, this environment runs "
                       f"{version}")
    if "env_args" in expect:
        def relevant(args):
            return {k: v for k, v in json.loads(json.dumps(args or {}, default=str)).items()
                    if k not in OBJECTIVE_ARGS}
        old, new = relevant(manifest.get("env_args")), relevant(expect["env_args"])
        if old != new:
            out.append(f"trained with environment arguments {old}, given {new}")
    return out


class ProxySimulator(CostModel):
    """A proxy behind the simulator protocol: `evaluate_batch` predicts every metric of a
    batch in one call; where the family has uncertainty (rf, gp), each design's `details`
    hold {"std": {metric: standard deviation}}. Where the training data held invalid
    designs, a design the validity classifier gives P(valid) < 0.5 is reported invalid.
    `simulator` is the model it stands in for (when known), so run descriptions record
    both versions. The workload is the one the training data was collected on; `prepare`
    passes it through."""

    def __init__(self, proxy: Proxy, simulator: Any = None):
        self.proxy, self.simulator = proxy, simulator
        self.metrics = tuple(Metric(m["name"], m["unit"], m["direction"],
                                    m.get("description", "")) for m in proxy.metrics)
        identity = {**proxy.manifest.get("files", {}),  # the files and any power laws
                    **{m["name"]: m["derived"] for m in proxy.metrics if "derived" in m}}
        digest = _sha256(json.dumps(identity, sort_keys=True).encode())
        self.version = f"{proxy.family}-{digest[:12]}"

    def evaluate_batch(self, designs: Designs, workload: Any) -> BatchResult:
        values = columns(designs, self.proxy.encoder.names)
        n = len(next(iter(values.values()))) if values else 0
        if n == 0:
            return BatchResult.invalid(0, self.metric_names)
        indices = self.proxy.encoder.indices(values)
        means, stds = self.proxy.predict(indices)
        details = None
        if stds is not None:
            details = [{"std": {m: float(stds[m][i]) for m in stds}} for i in range(n)]
        p_valid = self.proxy.valid_probability(indices)
        if p_valid is None:
            return BatchResult(means, np.ones(n, dtype=bool), [None] * n, details)
        valid = p_valid >= 0.5
        reasons = [None if ok else f"the proxy's validity classifier predicts an invalid "
                   f"design (P(valid) {p:.2f})" for ok, p in zip(valid, p_valid, strict=True)]
        return BatchResult({m: np.where(valid, v, np.nan) for m, v in means.items()}, valid,
                           reasons, details)
