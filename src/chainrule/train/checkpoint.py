"""Training checkpoints: everything a run needs to continue as if it had never stopped.

``capture(state)`` gathers, from a ``FitState`` at the end of an epoch, the model, optimiser
and scheduler state, the epoch and step counters, the history, the callbacks' memory, and the
random generators that decide what happens next: chainrule's (dropout, initialisation) and the
training loader's (the next shuffle). A data-parallel run saves every rank's chainrule generator
and each rank restores its own. ``restore(state, checkpoint)`` puts them all back. With
the same seed on the CPU, a run resumed from the checkpoint of epoch k ends with bitwise the
same weights as a run that was never interrupted.
"""

from .. import distributed, random, serialization

__all__ = ["capture", "restore", "save", "load"]


def callback_key(callbacks, index):
    """A stable name for callback ``index``: its class name, numbered if the class repeats."""
    name = type(callbacks[index]).__name__
    earlier = sum(type(c).__name__ == name for c in callbacks[:index])
    return name if earlier == 0 else f"{name}#{earlier + 1}"


def capture(state):
    """The checkpoint of a ``FitState`` as a nested dict of arrays and JSON values."""
    snapshot = {
        "epoch": state.epoch,
        "step": state.step,
        "history": state.history,
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "rng": {"chainrule": random.get_state()},
        "callbacks": {
            callback_key(state.callbacks, i): c.state_dict() for i, c in enumerate(state.callbacks)
        },
    }
    if state.scheduler is not None:
        snapshot["scheduler"] = state.scheduler.state_dict()
    if state.rank_rng_states is not None:
        snapshot["rng"]["ranks"] = state.rank_rng_states
    if hasattr(state.train_loader, "state_dict"):
        snapshot["rng"]["train_loader"] = state.train_loader.state_dict()
    return snapshot


def restore(state, snapshot):
    """Load ``snapshot`` (from ``capture`` or ``load``) into the objects of ``state``."""
    state.model.load_state_dict(snapshot["model"])
    state.optimizer.load_state_dict(snapshot["optimizer"])
    if state.scheduler is not None:
        if "scheduler" not in snapshot:
            raise ValueError(
                "resume: the checkpoint has no scheduler state but fit() was given a scheduler"
            )
        state.scheduler.load_state_dict(snapshot["scheduler"])
    ranks = snapshot["rng"].get("ranks")
    if ranks is not None and len(ranks) == distributed.get_world_size():
        random.set_state(ranks[distributed.get_rank()])
    else:
        random.set_state(snapshot["rng"]["chainrule"])
    if "train_loader" in snapshot["rng"]:
        state.train_loader.load_state_dict(snapshot["rng"]["train_loader"])
    for i, callback in enumerate(state.callbacks):
        saved = snapshot["callbacks"].get(callback_key(state.callbacks, i))
        if saved:
            callback.load_state_dict(saved)
    state.epoch = int(snapshot["epoch"])
    state.step = int(snapshot["step"])
    state.history = list(snapshot["history"])


def save(snapshot, path):
    """Write a checkpoint atomically (``chainrule.serialization``: safetensors + JSON)."""
    serialization.save(snapshot, path)


def load(path):
    """Read a checkpoint written by ``save``."""
    return serialization.load(path)
