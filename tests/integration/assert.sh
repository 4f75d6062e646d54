# Assertions for integration scripts: each failure prints what was expected and what came.
assert_eq() {  # actual expected [what]
  if [ "$1" != "$2" ]; then
    printf 'FAILED %s\n  expected: %s\n  actual:   %s\n' "${3:-}" "$2" "$1" >&2; exit 1
  fi
}
assert_contains() {  # haystack needle
  if [[ "$1" != *"$2"* ]]; then
    printf 'FAILED: expected to find\n  %s\nin\n%s\n' "$2" "$1" >&2; exit 1
  fi
}
assert_not_contains() {
  if [[ "$1" == *"$2"* ]]; then
    printf 'FAILED: did not expect\n  %s\nin\n%s\n' "$2" "$1" >&2; exit 1
  fi
}
