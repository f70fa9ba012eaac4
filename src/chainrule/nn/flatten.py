"""``Flatten``: merge dimensions start_dim..end_dim into one (conv features → Linear input: deck
D4, "Fully-Connected Layer", stretches a 3-D tensor out into a long vector)."""

from .module import Module


class Flatten(Module):
    """Reshape (N, C, H, W) to (N, C·H·W) by default (start_dim=1, end_dim=-1); a view."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
