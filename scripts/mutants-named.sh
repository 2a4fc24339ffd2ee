#!/usr/bin/env bash
# The mutants issue 8 names (each passed the whole suite once), applied one at a time: every one
# must make its test fail. A scripted stand-in for `cargo mutants` on the behaviours that matter
# most; `cargo mutants --file src/core/...` explores the rest (slow on 2 cores).
#
# Usage: bash scripts/mutants-named.sh     (restores every file it touches, even on Ctrl-C)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# file ~ sed expression (must change the file) ~ test target (a tests/ file, or lib) ~ test name
# filter ~ what it breaks
MUTANTS=(
  "src/core/mavlink/host.rs~s/if !is_request(command.command) \&\& command.confirmation > 0 {/if !is_request(command.command) {/~trust~a_second_tap_without_confirmation~retransmission needs confirmation > 0"
  "src/core/link/siyi_link.rs~s/self.requests.transmit(\&Request::Function(TakePhoto));//~link~photo_outcomes~the 0x0C photo is sent"
  "src/core/mavlink/host.rs~s/return Accepted::Nothing; \/\/ our own message looped back/\/\/ (mutant: own messages pass)/~trust~our_own_looped_back~our own looped-back messages are dropped"
  "src/core/link/ops/mod.rs~s/Wait::RecordConfirm { start, since, .. } if now > since => {/Wait::RecordConfirm { start, since, .. } => {/~link~a_reading_from_the_instant~recording confirmation needs a reading after the toggle"
  "src/core/link/ops/photo.rs~s/if !feedback_seen \&\& last_rx.is_some_and(|t| t > sent_at) {/if true {/~soak~lossy_rebooting~silence is a photo only from a live camera that never reports photos"
  "src/core/camera/capture.rs~s/|| interval_s < min_s/|| interval_s < 0.0/~trust~photo_intervals_below~photo intervals below 0.2 s are denied"
  "src/core/link/ops/record.rs~s/^    ops.iter().any(|a| {/    false \&\& ops.iter().any(|a| {/~link~a_second_recording_change~one recording change at a time"
  "src/core/settings/mod.rs~s/if confirmed \&\& read == Some(job.value) {/if confirmed {/~param_ext_fake~a_change_the_camera_confirms_but_does_not_show~a setting is ACCEPTED only when the camera reads it back"
  "src/core/link/ops/encoding.rs~s/if shape(sent) != shape(read) {/if false {/~lib~an_accepted_set_is_read_back_and_compared~an encoding the camera did not take is not a success"
)

backup_dir=$(mktemp -d)
restore() {
  for f in "${backup_dir}"/*; do
    [[ -e "$f" ]] || continue
    cp "$f" "$(cat "$f.path" 2>/dev/null || true)" 2>/dev/null || true
  done
}
trap restore EXIT INT TERM

survived=0
for m in "${MUTANTS[@]}"; do
  IFS='~' read -r file expr target filter what <<<"$m"
  key=$(echo "$file" | tr '/' '_')
  cp "$file" "${backup_dir}/${key}"
  echo "$file" >"${backup_dir}/${key}.path"
  sed -i "$expr" "$file"
  if cmp -s "$file" "${backup_dir}/${key}"; then
    echo "ERROR: mutant did not apply (code moved?): $what ($file)" >&2
    exit 2
  fi
  # "lib" = the library's unit tests; anything else names a file in tests/.
  if [[ "$target" == lib ]]; then which=(--lib); else which=(--test "$target"); fi
  if ! cargo test -q "${which[@]}" --no-run >/dev/null 2>&1; then
    echo "ERROR: mutant does not compile, so it proves nothing: $what" >&2
    exit 2
  fi
  if cargo test -q "${which[@]}" "$filter" >/dev/null 2>&1; then
    echo "SURVIVED  $what"
    survived=$((survived + 1))
  else
    echo "killed    $what"
  fi
  cp "${backup_dir}/${key}" "$file"
  rm -f "${backup_dir}/${key}" "${backup_dir}/${key}.path"
done
echo "mutants: ${#MUTANTS[@]} applied, ${survived} survived"
[[ $survived -eq 0 ]]
