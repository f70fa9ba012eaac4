"""``runs.run_kind`` names the app of every run folder from the keys of its config.json: each
app's own config, as the app writes it, is recognised as that app and no other."""

import dataclasses
import json

import pytest

from chainrule.apps import runs
from chainrule.apps.autoencoder import AutoencoderConfig
from chainrule.apps.captioner import CaptionConfig
from chainrule.apps.char_lm import LMConfig
from chainrule.apps.classify import RunConfig
from chainrule.apps.detect import DetectConfig
from chainrule.apps.seq2seq import Seq2SeqConfig
from chainrule.apps.textcnn import TextCNNConfig

CONFIGS = {
    "classifier": RunConfig(),
    "char-lm": LMConfig(),
    "captioner": CaptionConfig(),
    "seq2seq": Seq2SeqConfig(),
    "textcnn": TextCNNConfig(),
    "detector": DetectConfig(),
    "autoencoder": AutoencoderConfig(),
}


def test_every_kind_has_an_app_config():
    assert set(CONFIGS) == set(runs.KINDS)


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_an_apps_config_names_its_kind(kind, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dataclasses.asdict(CONFIGS[kind])))
    assert runs.run_kind(tmp_path) == kind
