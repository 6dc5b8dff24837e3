"""`archgym collect` and `archgym proxy train|eval|curve|active`: datasets, proxy models and
active learning."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agents.cli.json_args import json_object
from cost_models.models import FAMILIES, TRANSFORMS
from simulators.errors import InvalidArgumentError


def cmd_collect(args, console: Console) -> None:
    from agents.experiments.collect import collect, collect_runs

    env_args = json_object("--env-args", args.env_args)
    if args.sampler == "from-runs":
        if not args.runs:
            raise InvalidArgumentError("--runs", None, "one or more run directories")
        data = collect_runs(args.env_id, env_args, args.runs, args.out, args.n)
    else:
        from agents.experiments.ray_pool import start_ray

        started = args.workers > 1 and start_ray(args.workers)
        try:
            data = collect(args.env_id, env_args, args.n, args.sampler, args.seed, args.out,
                           workers=args.workers, batch_size=args.batch_size,
                           exclude=args.exclude or (),
                           progress=lambda done, n: console.print(f"{done}/{n} designs",
                                                                  highlight=False))
        finally:
            if started:
                import ray

                ray.shutdown()
    valid = int(data.frame["valid"].sum())
    console.print(f"dataset {args.out}: {len(data)} designs ({valid} valid), "
                  f"{len(data.metric_names)} metrics")


def _metrics(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


def _scores_table(console: Console, scores: dict, title: str) -> None:
    from cost_models import validation

    table = Table("metric", *validation.MEASURES, title=title)
    for metric, values in scores.items():
        table.add_row(metric, *(f"{values[k]:.4f}" for k in validation.MEASURES))
    console.print(table)


def cmd_train(args, console: Console) -> None:
    import numpy as np

    from cost_models import proxy as px
    from cost_models import validation
    from cost_models.dataset import read_dataset

    data = read_dataset(args.data)
    options = json_object("--model-args", args.model_args)
    metrics = _metrics(args.metrics)
    model = px.train(data, args.model, metrics, seed=args.seed, transform=args.transform,
                     options=options)
    scores = {}
    valid_rows = np.flatnonzero(data.frame["valid"].to_numpy(bool))
    if args.folds > 1:
        def trainer(rows):
            fold_model = px.train(data, args.model, metrics, rows=valid_rows[rows],
                                  seed=args.seed, transform=args.transform, options=options)
            return lambda test: px.predict_dataset(fold_model, data, valid_rows[test])[1]
        truth, _ = px.predict_dataset(model, data)
        scores["kfold"] = validation.kfold(len(valid_rows), trainer, truth, args.folds,
                                           args.seed)
    if args.holdout:
        held = read_dataset(args.holdout)
        scores["holdout"] = validation.score(*px.predict_dataset(model, held))
    manifest = data.manifest
    px.save(model, args.out, {
        "env_id": manifest["env_id"], "env_args": manifest["env_args"],
        "space_fingerprint": manifest["space_fingerprint"],
        "simulators": manifest["simulators"], "seed": args.seed, "model_args": options,
        "training_data": {"path": str(args.data), "sha256": data.sha256(),
                          "rows": len(data), "valid_rows": len(valid_rows)},
        "validation": scores})
    for kind, values in scores.items():
        _scores_table(console, values, f"{args.model} {kind}")
    console.print(f"proxy written: {args.out}")


def cmd_eval(args, console: Console) -> None:

    from cost_models import proxy as px
    from cost_models import validation
    from cost_models.dataset import read_dataset

    data = read_dataset(args.data)
    model = px.load(args.model_dir, {"env_id": data.manifest["env_id"],
                                     "space_fingerprint": data.manifest["space_fingerprint"],
                                     "simulators": data.manifest["simulators"]})
    true, predicted = px.predict_dataset(model, data)
    scores = validation.score(true, predicted)
    if args.plot:
        validation.plot_predictions(true, predicted, args.plot,
                                    f"{model.family} on {args.data}")
    if args.json:
        print(json.dumps(scores, indent=2))
        return
    _scores_table(console, scores, f"{model.family} on {args.data} ({len(true[next(iter(true))])}"
                                   " designs)")


def cmd_curve(args, console: Console) -> None:
    import numpy as np

    from cost_models import proxy as px
    from cost_models import validation
    from cost_models.dataset import read_dataset

    data, test = read_dataset(args.data), read_dataset(args.test)
    metrics = _metrics(args.metrics)
    options = json_object("--model-args", args.model_args)
    valid_rows = np.flatnonzero(data.frame["valid"].to_numpy(bool))
    sizes = [int(s) for s in args.sizes.split(",")]

    def trainer(rows):
        model = px.train(data, args.model, metrics, rows=valid_rows[rows], seed=args.seed,
                         options=options)
        return lambda: px.predict_dataset(model, test)[1]
    truth = {m: test.valid()[f"metrics.{m}"].to_numpy(np.float64)
             for m in (metrics or data.metric_names)}
    curves = validation.learning_curve(sizes, len(valid_rows), trainer, truth, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves.to_csv(out / "learning_curve.csv", index=False)
    validation.plot_learning_curves(curves, out / "learning_curve.png")
    console.print(curves.to_string(index=False))
    console.print(f"written: {out / 'learning_curve.csv'}, {out / 'learning_curve.png'}")


def cmd_active(args, console: Console) -> None:
    from agents.experiments.collect import active_collect

    summary = active_collect(args.env_id, json_object("--env-args", args.env_args),
                             args.metric, args.budget, args.out,
                             target_nrmse=args.target_nrmse, strategy=args.strategy,
                             family=args.model, pool=args.pool, test=args.test,
                             initial=args.initial, batch=args.batch, seed=args.seed,
                             options=json_object("--model-args", args.model_args))
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    table = Table("collection", "simulator calls", "calls to target", "held-out nrmse",
                  "within 10%", title=f"{args.metric} on {args.env_id}, budget {args.budget}")
    for name in (args.strategy, "random"):
        row = summary[name]
        table.add_row(name, str(row["calls"]), str(row["calls_to_target"] or "-"),
                      f"{row['nrmse']:.4f}", f"{row['within_10pct']:.3f}")
    console.print(table)
    console.print(f"written: {Path(args.out) / 'history.csv'}, {Path(args.out) / 'summary.json'}")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def add_proxy_commands(sub, positive_int, non_negative_int, console: Console) -> None:
    """The `collect` and `proxy` sub-commands."""
    from cost_models.sampling import COLLECT_SAMPLERS

    co = sub.add_parser("collect", help="simulate designs into a dataset for proxy models")
    co.add_argument("env_id")
    co.add_argument("--n", type=positive_int, default=1000,
                    help="designs (distinct; from-runs: at most this many)")
    co.add_argument("--sampler", choices=COLLECT_SAMPLERS, default="random")
    co.add_argument("--seed", type=non_negative_int, default=0)
    co.add_argument("--out", required=True, help="dataset directory (rerun to resume)")
    co.add_argument("--env-args", default="{}", help="JSON object of environment arguments")
    co.add_argument("--workers", type=positive_int, default=1,
                    help="Ray workers per batch (1: in process)")
    co.add_argument("--batch-size", type=positive_int, default=100)
    co.add_argument("--exclude", nargs="*", help="datasets whose designs are not drawn")
    co.add_argument("--runs", nargs="*", help="run directories (from-runs)")
    co.set_defaults(func=lambda a: cmd_collect(a, console))

    proxy = sub.add_parser("proxy", help="train and validate proxy cost models")
    ps = proxy.add_subparsers(dest="proxy_command", required=True)
    tr = ps.add_parser("train", help="fit a proxy on a dataset")
    tr.add_argument("data")
    tr.add_argument("--model", choices=FAMILIES, default="lgbm")
    tr.add_argument("--out", required=True)
    tr.add_argument("--metrics", default=None, help="comma-separated (default: all)")
    tr.add_argument("--transform", choices=TRANSFORMS, default="auto")
    tr.add_argument("--model-args", default="{}", help="JSON object of model options")
    tr.add_argument("--folds", type=non_negative_int, default=5,
                    help="k-fold cross-validation scores stored in the manifest (0: none)")
    tr.add_argument("--holdout", default=None, help="a held-out dataset to score")
    tr.add_argument("--seed", type=non_negative_int, default=0)
    tr.set_defaults(func=lambda a: cmd_train(a, console))

    ev = ps.add_parser("eval", help="score a proxy on a dataset")
    ev.add_argument("model_dir")
    ev.add_argument("data")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--plot", default=None, help="predicted-vs-true PNG")
    ev.set_defaults(func=lambda a: cmd_eval(a, console))

    cu = ps.add_parser("curve", help="held-out scores over training-set sizes")
    cu.add_argument("data")
    cu.add_argument("test")
    cu.add_argument("--model", choices=FAMILIES, default="lgbm")
    cu.add_argument("--sizes", default="100,200,400,800")
    cu.add_argument("--metrics", default=None)
    cu.add_argument("--model-args", default="{}")
    cu.add_argument("--seed", type=non_negative_int, default=0)
    cu.add_argument("--out", required=True)
    cu.set_defaults(func=lambda a: cmd_curve(a, console))

    ac = ps.add_parser("active", help="active learning of one metric against random "
                                      "collection at the same simulator budget")
    ac.add_argument("env_id")
    ac.add_argument("--metric", required=True)
    ac.add_argument("--budget", type=positive_int, required=True, help="simulator calls")
    ac.add_argument("--target-nrmse", type=_positive_float, default=None,
                    help="stop when the held-out nrmse reaches this (a fraction)")
    ac.add_argument("--out", required=True)
    ac.add_argument("--strategy", choices=("uncertainty", "promising"), default="uncertainty")
    ac.add_argument("--model", choices=("rf", "gp"), default="rf",
                    help="a family with predictive uncertainty")
    ac.add_argument("--model-args", default="{}")
    ac.add_argument("--pool", type=positive_int, default=2000,
                    help="random candidate designs to choose from")
    ac.add_argument("--test", type=positive_int, default=200, help="held-out designs")
    ac.add_argument("--initial", type=positive_int, default=20)
    ac.add_argument("--batch", type=positive_int, default=10)
    ac.add_argument("--env-args", default="{}")
    ac.add_argument("--seed", type=non_negative_int, default=0)
    ac.add_argument("--json", action="store_true")
    ac.set_defaults(func=lambda a: cmd_active(a, console))


def proxy_env_args(args: argparse.Namespace, env_args: dict) -> dict:
    """`--proxy DIR` as the environment argument `proxy`."""
    return {**env_args, "proxy": args.proxy} if getattr(args, "proxy", None) else env_args
