"""One training run of the distributed tests, as a script: ``mpiexec -n N python ddp_worker.py
…`` trains data-parallel, plain ``python ddp_worker.py …`` trains in one process (the oracle).

    ddp_worker.py MODEL GLOBAL_BATCH EPOCHS OUT_DIR [--resume] [--fail raise|kill RANK CALL]

Trains MODEL (float64, seed 0) with SGD + momentum on 48 fixed random samples, read through a
``DistributedSampler`` (seed 3) in batches of GLOBAL_BATCH / world size, with a checkpoint each
epoch in OUT_DIR/checkpoints; writes each rank's final parameters and buffers to
OUT_DIR/rankR.npz. ``--fail raise|kill RANK CALL``: rank RANK raises, or kills itself, at its
CALL-th loss evaluation.
"""

import argparse
import os
import signal

import numpy as np

from chainrule import backend, data, distributed, nn, optim, random
from chainrule import functional as F
from chainrule.models.lenet5 import lenet5
from chainrule.models.mlp import mlp
from chainrule.train import fit
from chainrule.train.callbacks import ModelCheckpoint

SAMPLES = 48


class SequenceClassifier(nn.Module):
    """An LSTM over (N, T, 5) sequences; its last hidden state → 4 class scores."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def conv_net_with_sync_batch_norm():
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 4)
    )
    return distributed.SyncBatchNorm.convert_sync_batchnorm(net)


MODELS = {
    "mlp": (lambda: mlp(64, (32, 16), 4, dropout=0), (64,)),
    "mlp-dropout": (lambda: mlp(64, (32, 16), 4, dropout=0.3), (64,)),
    "lenet5": (lenet5, (1, 32, 32)),
    "lstm": (SequenceClassifier, (7, 5)),
    "syncbn": (conv_net_with_sync_batch_norm, (1, 8, 8)),
}


def samples(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, *shape))
    y = rng.integers(0, 4, SAMPLES)
    return data.TensorDataset(x, y)


def failing(loss_fn, fail):
    """``loss_fn``, except that rank ``fail[1]`` raises or dies at its ``fail[2]``-th call."""
    if fail is None or int(fail[1]) != distributed.get_rank():
        return loss_fn
    calls = []

    def loss(output, target):
        calls.append(1)
        if len(calls) == int(fail[2]):
            if fail[0] == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"rank {distributed.get_rank()} failed on purpose")
        return loss_fn(output, target)

    return loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("global_batch", type=int)
    parser.add_argument("epochs", type=int)
    parser.add_argument("out_dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--fail", nargs=3)
    args = parser.parse_args()
    if "PMI_SIZE" in os.environ:
        distributed.init_process_group()
    backend.set_default_dtype(np.float64)
    random.manual_seed(0)
    build, shape = MODELS[args.model]
    model = build()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dataset = samples(shape)
    loader = data.DataLoader(
        dataset,
        batch_size=args.global_batch // distributed.get_world_size(),
        sampler=distributed.DistributedSampler(dataset, seed=3),
    )
    checkpoints = os.path.join(args.out_dir, "checkpoints")
    loss_fn = getattr(model, "loss", F.cross_entropy)
    fit(
        model,
        optimizer,
        loader,
        args.epochs,
        loss_fn=failing(loss_fn, args.fail),
        callbacks=[ModelCheckpoint(checkpoints, monitor="loss")],
        resume=os.path.join(checkpoints, "last.ckpt") if args.resume else None,
    )
    arrays = {name: tensor.data for name, tensor in model.state_dict().items()}
    np.savez(os.path.join(args.out_dir, f"rank{distributed.get_rank()}.npz"), **arrays)


if __name__ == "__main__":
    main()
