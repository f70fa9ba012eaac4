"""Does a character-level LSTM trained on glibc write C that parses? (Deck D1, "Figure 2-3.
Demonstration of Program Generation".)

Train the model first (the run this script reads)::

    export CHAINRULE_DATA=/work/shared/data
    chainrule train char-lm --corpus c-code --cell lstm --layers 2 --hidden 512 --dropout 0.2 \\
        --seq-len 100 --batch-size 32 --epochs 6 --lr 2e-3 --lr-schedule cosine --clip 5 \\
        --out runs/char_lm_c-code_h512_e6
    .venv/bin/python reproductions/c_code_syntax.py runs/char_lm_c-code_h512_e6 --long-length 100000

(The validation text, the last 10% of the corpus, is the second half of ``string/``: training
saw all of ``stdio-common/`` and ``stdlib/`` and the first half of ``string/``.)

The script samples text from the run's best checkpoint (``--temperature``, 0.8 unless given;
seeded), cuts the top-level functions out of it and asks ``gcc -fsyntax-only`` about each one.

**Cutting rule.** Lines are split on "\\n". A *header line* starts in column 0 with an
identifier (optionally preceded by type words and ``*``s on the same line), followed by optional
blanks and ``(``; the identifier is not a C keyword (if, for, while, switch, return, sizeof, do,
else, case, goto), and the line neither starts with ``#`` nor ends with ``;``. If the line just
above is a column-0 line of only identifiers, blanks and ``*`` (a GNU-style return type such as
``int`` or ``static char *``), it is part of the header. From the header on, a small lexer skips
comments and string/character literals and looks for the first ``{`` outside parentheses; a line
starting with ``#``, ``{`` or ``}`` before the header's parentheses close means no clean
definition (a parameter list split by ``#if``). Between the ``)`` that closes the header's first
parenthesis and that ``{`` only blanks and comments may stand; anything else (a ``;``, a K&R
parameter declaration, a macro call's continuation) means the header was no function definition.
From that ``{`` the function runs to the first ``}`` at the start of a line: GNU style, which
glibc follows, puts a top-level body's closing brace there and indents every inner one. (Braces
inside are not counted: an unbalanced parenthesis or brace in a generated body must not hide
where it ends; gcc judges it.) The function is the text from the header to that ``}``. A
function whose closing brace never comes (the sample ends first) is counted apart as *truncated*
and not tested.

**Test.** Each function is compiled alone after ``PREAMBLE`` (standard headers and empty
definitions of glibc's internal macros) with ``gcc -fsyntax-only -std=gnu11 -w``: this checks
syntax and declarations (an undeclared variable or an unknown type fails; an undeclared
function is only a warning in C with gnu11). The same cutting and test applied to real glibc
functions, spread evenly over the whole corpus, give a reference pass rate (far from every real
function passes: many need glibc's internal headers and macros).

**Bodies for held-out headers.** Left to itself the model rarely ends a body and starts a new
function at column 0 (its samples wander from body to body), so a second measurement gives it
the start: for real functions spread evenly over the validation text (never trained on), the
prime is the function's header up to and including the body's opening ``{``, the model writes
``--body-length`` characters, and the same cutting rule takes the function (header + generated
body) from the result; bodies that do not close in time count as truncated. The same real
functions with their real bodies, through the same test, are the reference.

Results: ``results/char_lm_c-code.json``, ``results/char_lm_c-code_sample.txt`` and
``results/char_lm_c-code_functions.txt`` (the functions written for held-out headers, each
marked passed or failed). A ``--temperature`` other than 0.8 adds ``_T<temperature>`` to the
three names (``char_lm_c-code_T0.5.json``), so runs at several temperatures sit side by side.
"""

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import threads

from chainrule.apps import char_lm as lm
from chainrule.data.text import load_corpus, split_text
from chainrule.models.char_rnn import sample

RESULTS = Path(__file__).resolve().parent / "results"
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else", "case", "goto"}
HEADER = re.compile(r"^(?:[A-Za-z_][\w \t*]*?[\s*])?([A-Za-z_]\w*)[ \t]*\(")
RETURN_TYPE = re.compile(r"^[A-Za-z_][\w \t*]*$")
PREAMBLE = """\
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <wchar.h>
typedef unsigned long int op_t;
typedef unsigned char byte;
typedef char CHAR;
typedef unsigned char UCHAR;
typedef char CHAR_T;
typedef unsigned char UCHAR_T;
#define attribute_hidden
#define internal_function
#define attribute_compat_text_section
#define __THROW
#define __glibc_likely(cond) (cond)
#define __glibc_unlikely(cond) (cond)
#define __set_errno(value) (errno = (value))
#define libc_hidden_def(name)
#define libc_hidden_builtin_def(name)
#define weak_alias(name, alias)
#define strong_alias(name, alias)
"""


def cut_functions(text):
    """``(functions, truncated)``: the complete top-level functions of ``text`` by the rule in
    the module docstring, and how many started but never closed."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    functions, truncated, resume_at = [], 0, 0
    for i, line in enumerate(lines):
        if starts[i] < resume_at or not _is_header(line):
            continue
        begin = starts[i - 1] if i > 0 and _is_return_type(lines[i - 1]) else starts[i]
        end = _function_end(text, starts[i])
        if end is None:
            continue
        if end == -1:
            truncated += 1
            break
        functions.append(text[begin:end])
        resume_at = end
    return functions, truncated


def _is_header(line):
    match = HEADER.match(line)
    return (
        match is not None
        and match.group(1) not in KEYWORDS
        and not line.startswith("#")
        and not line.rstrip().endswith(";")
    )


def _is_return_type(line):
    return bool(RETURN_TYPE.match(line)) and line.split()[0] not in KEYWORDS


def _function_end(text, position):
    """Index just past the ``}`` that ends the body following the header at ``position`` (the
    first ``}`` at the start of a line after the body's ``{``); None if no body follows (a
    declaration or a call); -1 if the text ends first."""
    parens, header_closed = 0, False
    i, n = position, len(text)
    while i < n:
        skipped = _skip_comment_or_literal(text, i)
        if skipped is not None:
            if skipped == -1:
                return -1
            i = skipped
            continue
        c = text[i]
        if header_closed:
            if c == "{":
                close = text.find("\n}", i)
                return -1 if close < 0 else close + 2
            if not c.isspace():
                return None
        elif c == "\n" and text.startswith(("#", "{", "}"), i + 1):
            return None  # a header split by #if, or parentheses that never close
        elif c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
            header_closed = parens == 0
        i += 1
    return -1


def _skip_comment_or_literal(text, i):
    """Index after a comment or literal starting at ``i``; None if none starts there; -1 if
    the text ends inside it."""
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return -1 if end < 0 else end + 2
    if text.startswith("//", i):
        end = text.find("\n", i)
        return -1 if end < 0 else end + 1
    if text[i] in "\"'":
        quote, j = text[i], i + 1
        while j < len(text) and text[j] != quote and text[j] != "\n":
            j += 2 if text[j] == "\\" else 1
        return -1 if j >= len(text) else j + 1
    return None


def passes_gcc(function):
    """Whether ``gcc -fsyntax-only`` accepts ``PREAMBLE`` + ``function``."""
    with tempfile.NamedTemporaryFile("w", suffix=".c") as source:
        source.write(PREAMBLE + "\n" + function + "\n")
        source.flush()
        result = subprocess.run(
            ["gcc", "-fsyntax-only", "-std=gnu11", "-w", source.name],
            capture_output=True,
            text=True,
        )
    return result.returncode == 0


def score(text):
    """{functions, passed, truncated, fraction} for the functions cut out of ``text``."""
    functions, truncated = cut_functions(text)
    passed = sum(passes_gcc(f) for f in functions)
    return {
        "functions": len(functions),
        "passed": passed,
        "truncated": truncated,
        "fraction": passed / len(functions) if functions else None,
    }


def spread(functions, count):
    """``count`` of ``functions`` taken evenly from first to last."""
    return functions[:: max(len(functions) // count, 1)][:count]


def write_bodies(model, vocab, functions, length, temperature, seed):
    """For each real function, the model's own body after its header: ``(written, truncated)``,
    written being (function, passed) for the bodies that closed within ``length`` characters."""
    written, truncated = [], 0
    for k, real in enumerate(functions):
        opening = real.find("\n{")
        header = real[: opening + 2] if opening >= 0 else real[: real.index("{") + 1]
        text = sample(model, vocab, "\n" + header, length, temperature, seed=seed + k)
        found, _ = cut_functions(text)
        if found and found[0].startswith(header):
            written.append((found[0], passes_gcc(found[0])))
        else:
            truncated += 1
    return written, truncated


def result_name(temperature):
    """The stem of the result files: char_lm_c-code, with _T<temperature> unless it is 0.8."""
    return "char_lm_c-code" if temperature == 0.8 else f"char_lm_c-code_T{temperature:g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", nargs="?", default="runs/char_lm_c-code_h512_e6")
    parser.add_argument("--length", type=int, default=2000, help="the shown sample's length")
    parser.add_argument(
        "--long-length",
        type=int,
        default=20000,
        help="a longer sample, for a count of functions worth a fraction",
    )
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reference-functions",
        type=int,
        default=200,
        help="real corpus functions tested for the reference rate",
    )
    parser.add_argument(
        "--headers",
        type=int,
        default=60,
        help="held-out function headers the model writes bodies for",
    )
    parser.add_argument(
        "--body-length", type=int, default=1500, help="characters generated after each header"
    )
    args = parser.parse_args()
    name = result_name(args.temperature)
    with threads.limit(1):
        model, vocab, config = lm.load_trained(args.run_dir, "best")
        started = time.perf_counter()
        short = sample(model, vocab, "\n", args.length, args.temperature, seed=args.seed)
        long = sample(model, vocab, "\n", args.long_length, args.temperature, seed=args.seed + 1)
        sampling_seconds = time.perf_counter() - started
        corpus = load_corpus(config.corpus, config.data_dir)
        held_out = spread(
            cut_functions(split_text(corpus, config.val_fraction)[1])[0], args.headers
        )
        started = time.perf_counter()
        written, unfinished = write_bodies(
            model, vocab, held_out, args.body_length, args.temperature, args.seed
        )
        bodies_seconds = time.perf_counter() - started
    real, _ = cut_functions(corpus)
    reference = score("\n".join(spread(real, args.reference_functions)))
    passed = sum(ok for _, ok in written)
    bodies = {
        "headers": len(held_out),
        "chars_per_body": args.body_length,
        "temperature": args.temperature,
        "seeds": f"{args.seed}…{args.seed + len(held_out) - 1}",
        "functions": len(written),
        "passed": passed,
        "truncated": unfinished,
        "fraction": passed / len(written) if written else None,
        "reference_same_functions_real_bodies": sum(passes_gcc(f) for f in held_out)
        / len(held_out),
        "file": f"results/{name}_functions.txt",
        "seconds": round(bodies_seconds, 1),
    }
    metrics = json.loads((Path(args.run_dir) / "metrics.json").read_text())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}_functions.txt").write_text(
        "".join(
            f"/* ---- {'passed' if ok else 'failed'} gcc -fsyntax-only ---- */\n{f}\n\n"
            for f, ok in written
        )
    )
    (RESULTS / f"{name}_sample.txt").write_text(short)
    summary = {
        "corpus": "glibc 2.36 string/, stdlib/, stdio-common/ .c/.h (c-code)",
        "val_loss": metrics["val_loss"],
        "best_val_loss": metrics["best_val_loss"],
        "epochs": metrics["epochs"],
        "steps": metrics["steps"],
        "train_seconds_total": metrics["train_seconds_total"],
        "config": metrics["config"],
        "sample": {
            "file": f"results/{name}_sample.txt",
            "chars": args.length,
            "temperature": args.temperature,
            "seed": args.seed,
            "checkpoint": "best",
            **score(short),
        },
        "long_sample": {
            "chars": args.long_length,
            "temperature": args.temperature,
            "seed": args.seed + 1,
            **score(long),
        },
        "bodies_for_held_out_headers": bodies,
        "reference_real_glibc_functions": reference,
        "sampling_seconds": round(sampling_seconds, 1),
        "rule": "see reproductions/c_code_syntax.py docstring: column-0 header "
        "(identifier then '(', not a keyword, no ';' at end, optional "
        "return-type line above), then only blanks/comments between the "
        "header's ')' and '{', brace "
        "matching skipping comments and literals; gcc -fsyntax-only -std=gnu11 "
        "-w after a preamble of standard headers and glibc macro stubs",
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
