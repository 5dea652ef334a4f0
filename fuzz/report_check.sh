# Sourced by fuzz/planted.sh and fuzz/afl_planted.sh.
# check_report LOG KIND FUNCTION: LOG holds an AddressSanitizer report of KIND (the words
# after "AddressSanitizer: ") that names FUNCTION; prints its first line and top frames.
# Exits 1, saying why, when it does not.
check_report() {
	local log=$1 kind=$2 func=$3 report
	report=$(sed -n '/ERROR: AddressSanitizer/,$p' "$log")
	[[ -n $report ]] || { tail -5 "$log"; echo "FAIL: no sanitizer report" >&2; exit 1; }
	grep -m1 'ERROR: AddressSanitizer' <<<"$report"
	grep -E "^ +#[0-9]+ " <<<"$report" | head -12
	grep -q "AddressSanitizer: $kind" <<<"$report" || { echo "FAIL: not a $kind" >&2; exit 1; }
	grep -qw "$func" <<<"$report" || { echo "FAIL: the report does not name $func" >&2; exit 1; }
}
