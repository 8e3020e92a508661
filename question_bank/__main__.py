"""`python -m question_bank [PATH ...]`: validate bank files without the CLI (used by bank authors)."""

import json
import sys

from question_bank.loader import BankError, load_bank

if __name__ == "__main__":
    try:
        bank = load_bank(sys.argv[1:], include_builtin=not sys.argv[1:])
    except BankError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(bank.stats(), ensure_ascii=False))
