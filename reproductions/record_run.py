"""Record a ``chainrule train`` run folder as a result: ``results/NAME.json`` and ``NAME.png``.

The JSON holds the command that trained the run (given here, as typed), how to resume it, its
configuration, every epoch of its log, and — once the run has finished and measured its test
set — the test figures; a run still going, or stopped, is recorded as "stopped after k of E
epochs" with no test figure (the test set is measured once, at the end). The PNG is the run's
own ``curves.png``.

    .venv/bin/python reproductions/record_run.py runs/resnet20 resnet20_cifar10_recipe \\
        --command "chainrule train resnet20 --workers 2 --no-progress --out runs/resnet20" \\
        --target 0.91
"""

import argparse
import json
import shutil
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def record(run, command, target=None):
    """The result of run folder ``run`` as a dict (see the module docstring); ``target``, a
    test accuracy, adds whether the finished run met it."""
    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    log_file = run / "log.jsonl"
    epochs = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    result = {
        "command": command,
        "resume": f"{command} --resume",
        "config": config,
        "epochs": epochs,
    }
    metrics_file = run / "metrics.json"
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text())
        result["status"] = f"finished: {len(epochs)} epochs, the test set measured once at the end"
        result.update({k: v for k, v in metrics.items() if k.startswith("test_")})
        result["train_seconds"] = metrics.get("train_seconds_total")
        result["wall_seconds"] = metrics.get("seconds")
        result["workers"] = metrics.get("workers")
        if target is not None:
            result["target_test_accuracy"] = target
            result["target_met"] = metrics["test_accuracy"] >= target
    else:
        result["status"] = (
            f"stopped after {len(epochs)} of {config['epochs']} epochs; resumes with --resume; "
            "no test figure yet (the test set is measured once, at the end)"
        )
        result["train_seconds"] = sum(epoch["seconds"] for epoch in epochs)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="the run folder (chainrule train --out)")
    parser.add_argument("name", help="results/NAME.json and results/NAME.png are written")
    parser.add_argument("--command", required=True, help="the command that trained the run")
    parser.add_argument("--target", type=float, help="the test accuracy the run should reach")
    args = parser.parse_args()
    result = record(args.run, args.command, args.target)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    shutil.copy(Path(args.run) / "curves.png", RESULTS / f"{args.name}.png")
    print(result["status"])


if __name__ == "__main__":
    main()
