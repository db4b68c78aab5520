"""Imported first by the command line: leaves out an optional import that costs seconds and serves nothing here.

jsonschema (under nbformat) imports `rfc3987_syntax`, which builds Lark parsers at import (about 2 s on the
course's 2-core machines, /work/shared/notes/grading-facts.md), only to check the "iri" string format,
which no notebook schema uses and nbformat never asks for. jsonschema treats the module as optional.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` now raises ImportError at once
