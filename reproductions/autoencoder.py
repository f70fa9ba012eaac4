"""The convolutional autoencoder of deck D3 on MNIST, chainrule beside a PyTorch twin.

Each configuration is trained twice from the same initial weights on the same batches (the
chainrule DataLoader's shuffled order, read by both): once by ``chainrule train autoencoder``'s
app (``apps.autoencoder.train_autoencoder``), once by the same network written in ``torch.nn``
with ``torch.optim.Adam``. Reported: the test reconstruction MSE of the 10,000 test digits
(pixels in [0, 1]) and the training time of each. Configurations: the transposed-convolution
decoder on the full 32×7×7 code, the upsample+conv decoder, and a 2-unit bottleneck (the latent
scatter). The pictures of chainrule's runs are copied to ``reproductions/results/``.

    CHAINRULE_DATA=../shared/data OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        .venv/bin/python reproductions/autoencoder.py --epochs 3
"""

import argparse
import dataclasses
import json
import platform
import shutil
import time
from pathlib import Path

from chainrule import data
from chainrule.apps import autoencoder

RESULTS = Path(__file__).resolve().parent / "results"
CONFIGURATIONS = {
    "transpose": {"decoder": "transpose"},
    "upsample": {"decoder": "upsample"},
    "latent2": {"decoder": "transpose", "latent": 2},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="runs/autoencoder")
    parser.add_argument("--only", choices=list(CONFIGURATIONS), nargs="*")
    args = parser.parse_args()
    rows = {}
    for name in args.only or CONFIGURATIONS:
        config = autoencoder.AutoencoderConfig(epochs=args.epochs, **CONFIGURATIONS[name])
        rows[name] = compare(config, Path(args.out) / name, name)
        print(name, rows[name], flush=True)
    write_results(rows, args.epochs)


def compare(config, run_dir, name):
    ours = _finished_run(run_dir, config)
    if ours is None:
        if run_dir.exists():
            shutil.rmtree(run_dir)
        ours = autoencoder.train_autoencoder(config, str(run_dir), progress="lines")
    for picture in ("reconstructions.png", "latent.png"):
        if (run_dir / picture).exists():
            shutil.copy(run_dir / picture, RESULTS / f"autoencoder_{name}_{picture}")
    theirs_mse, theirs_seconds = train_torch_twin(config)
    return {
        "config": dataclasses.asdict(config),
        "chainrule_test_mse": ours["test_mse"],
        "torch_test_mse": theirs_mse,
        "chainrule_seconds": round(ours["seconds"], 1),
        "torch_seconds": round(theirs_seconds, 1),
    }


def _finished_run(run_dir, config):
    """The metrics of a finished chainrule run of ``config`` in ``run_dir``, else None."""
    path = run_dir / "metrics.json"
    if not path.exists():
        return None
    metrics = json.loads(path.read_text())
    return metrics if metrics["config"] == dataclasses.asdict(config) else None


def train_torch_twin(config):
    """The test MSE and training seconds of the torch network, from chainrule's initial
    weights, on the batches of chainrule's DataLoader (same seed, same order)."""
    import torch

    torch.set_num_threads(1)
    digits = autoencoder.load_digits(config)
    initial = autoencoder.build_model(config).state_dict()
    net = torch_autoencoder(config.decoder, config.latent)
    net.load_state_dict({_torch_name(k): torch.from_numpy(v.numpy()) for k, v in initial.items()})
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    images = digits.train[0]
    loader = data.DataLoader(
        data.TensorDataset(images, images),
        batch_size=config.batch_size,
        shuffle=True,
        seed=config.seed,
    )
    started = time.perf_counter()
    for _ in range(config.epochs):
        for x, _ in loader:
            x = torch.from_numpy(x.numpy())
            loss = torch.nn.functional.mse_loss(net(x), x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        test = torch.from_numpy(digits.test[0])
        mse = float(torch.nn.functional.mse_loss(net(test), test))
    return mse, seconds


def _torch_name(name):
    """chainrule's upsample block holds its convolution as ``conv``; torch's Sequential as 1."""
    return name.replace(".conv.", ".1.")


def torch_autoencoder(decoder, latent):
    """``models.autoencoder.ConvAutoencoder`` written in torch.nn, with the same names."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.latent = latent
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            if latent is not None:
                self.to_latent = nn.Linear(32 * 7 * 7, latent)
                self.from_latent = nn.Linear(latent, 32 * 7 * 7)
            if decoder == "transpose":
                self.decoder = nn.Sequential(
                    nn.ConvTranspose2d(32, 16, 2, stride=2),
                    nn.ReLU(),
                    nn.ConvTranspose2d(16, 1, 2, stride=2),
                    nn.Sigmoid(),
                )
            else:
                up = nn.Upsample(scale_factor=2, mode="nearest")
                self.decoder = nn.Sequential(
                    nn.Sequential(up, nn.Conv2d(32, 16, 3, padding=1)),
                    nn.ReLU(),
                    nn.Sequential(up, nn.Conv2d(16, 1, 3, padding=1)),
                    nn.Sigmoid(),
                )

        def forward(self, x):
            code = self.encoder(x)
            if self.latent is not None:
                code = torch.relu(self.from_latent(self.to_latent(code.flatten(1))))
                code = code.reshape(-1, 32, 7, 7)
            return self.decoder(code)

    return Net()


def write_results(rows, epochs):
    summary = {"epochs": epochs, "machine": platform.processor() or platform.machine(), **rows}
    (RESULTS / "autoencoder.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"# Convolutional autoencoder on MNIST, {epochs} epochs (Adam 1e-3, batch 128)",
        "",
        "| configuration | chainrule test MSE | PyTorch twin test MSE | chainrule s | PyTorch s |",
        "|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['chainrule_test_mse']:.5f} | {row['torch_test_mse']:.5f} | "
            f"{row['chainrule_seconds']} | {row['torch_seconds']} |"
        )
    (RESULTS / "autoencoder.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
