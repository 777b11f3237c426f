#!/usr/bin/env bash
# Checks the core's layering (docs/ARCHITECTURE.md §2) from the code: a module may import
# only modules on lower floors. Reads `crate::<module>` paths outside comments in src/
# (test files left out) and prints every arrow that runs sideways or up.
# Prints "N passed, N failed" (one check per module); exits non-zero on a violation.
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A floor=(
  [phone]=0 [percent]=0 [link]=0 [control]=0 [memory]=0 [sync]=0 [quote]=0 [version]=0 [topics]=0
  [model]=1 [secrets]=1
  [event]=2
  [store]=3 [rules]=3
  [config]=4
  [oauth]=5
  [directory]=6
  [engine]=7 [check]=7
  [source]=8 [present]=8 [journal]=8
  [api]=9 [relay]=9 [connect]=9
  [daemon]=10
)
# Arrows known to run up, each with the change that removes it ("a -> b"="why"). None today:
# an entry here is a debt, not a permission.
declare -A known=()

files_of() { # the non-test sources of module $1
  { [[ -f src/$1.rs ]] && echo "src/$1.rs"
    [[ -d src/$1 ]] && find "src/$1" -name '*.rs' ! -name tests.rs ! -path '*/tests/*'; } | sort
}

passed=0 failed=0
for module in $(ls src | sed -n 's/\.rs$//p; /\./!p' | sort -u); do
  [[ $module == lib || $module == main || $module == bin ]] && continue
  if [[ -z ${floor[$module]+set} ]]; then
    echo "note: src/$module is on no floor yet: place it in scripts/layers.sh and docs/ARCHITECTURE.md"
    continue
  fi
  bad=0
  for dep in $(files_of "$module" | xargs grep -hv '^\s*//' | grep -o 'crate::[a-z_]*' | sed 's/crate:://' | sort -u); do
    [[ $dep == "$module" || -z ${floor[$dep]+set} ]] && continue
    if (( floor[$dep] >= floor[$module] )); then
      arrow="$module -> $dep"
      if [[ -n ${known[$arrow]+set} ]]; then
        echo "known: $arrow (floor ${floor[$module]} -> ${floor[$dep]}): ${known[$arrow]}"
      else
        where=$(files_of "$module" | xargs grep -ln "crate::$dep\b" | tr '\n' ' ')
        echo "FAIL: $arrow runs from floor ${floor[$module]} to floor ${floor[$dep]} (in $where)"
        bad=1
      fi
    fi
  done
  if (( bad )); then failed=$((failed + 1)); else passed=$((passed + 1)); fi
done
echo "layers: $passed passed, $failed failed"
(( failed == 0 ))
