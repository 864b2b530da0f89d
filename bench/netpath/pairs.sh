# bench/netpath/pairs.sh: `run --pairs` (sourced by run, which has parsed the
# arguments and defines log, die, posint, seconds and find_bench); see run's
# header, item 5.
pairs=${PAIRS:-12}
runtime=${RUNTIME:-1}
rows=${ROWS:-64:1 64:8 64:32 1500:1 1500:8 1500:32}
if [ "${SMOKE:-0}" = 1 ]; then
	pairs=2
	runtime=0.01
	rows=64:32
fi
netpath=${NETPATH:-netpath_zcw_poll}
# The names pairs.py merges (its --netpath choices): one list, there.
variants=$(python3 "$here/pairs.py" --variants | tr '\n' ' ') || die "pairs.py --variants failed"
[[ $netpath =~ ^[a-z_]+$ && " $variants" == *" $netpath "* ]] ||
	die "NETPATH: unknown netpath variant '$netpath' (one of: ${variants% })"

posint PAIRS "$pairs"
seconds RUNTIME "$runtime"
rows=${rows//,/ }
row_list=()
for r in $rows; do
	[[ $r =~ ^(64|1500):(1|8|32)$ ]] || die "ROWS: unknown row '$r' ({64,1500}:{1,8,32})"
	case " ${row_list[*]} " in *" $r "*) die "ROWS: '$r' twice" ;; esac
	row_list+=("$r")
done
[ ${#row_list[@]} -gt 0 ] || die "ROWS is empty"

out=$results/bench/netpath-pairs
mkdir -p "$out/raw"
rm -f "$out"/raw/*.json "$out"/raw/*.log "$out/raw/schedule.txt" "$results/bench/netpath-pairs.json"
bench=$(find_bench)

seq_no=0
run_side() {  # side size batch round: log it in schedule.txt, then run it
	local load name
	read -r load _ </proc/loadavg
	seq_no=$((seq_no + 1))
	echo "$seq_no $4 $2 $3 $1 $(date +%s.%N) $load" >>"$out/raw/schedule.txt"
	case $1 in
	netpath) name=$netpath ;;
	rte_ring) name=dpdk_rte_ring_spsc ;;
	esac
	"$bench" --benchmark_filter="^$name/$2/$3/" --benchmark_min_time="$runtime" \
		--benchmark_out="$out/raw/$1_$2_$3_$4.json" --benchmark_out_format=json \
		>/dev/null 2>"$out/raw/$1_$2_$3_$4.log" || log "$1 $2/$3 round $4 failed (see raw/)"
}

t0=$(date +%s)
est=$(awk -v p="$pairs" -v r=${#row_list[@]} -v t="$runtime" \
	'BEGIN { printf "%d", p * r * 2 * (t * 2 + 0.6) }')
log "$pairs rounds of ${#row_list[@]} pairs ($netpath, dpdk_rte_ring_spsc), ${runtime}s per run: about ${est}s"
for round in $(seq "$pairs"); do
	order=(netpath rte_ring)
	[ $((round % 2)) = 0 ] && order=(rte_ring netpath)
	for r in $(printf '%s\n' "${row_list[@]}" | shuf); do
		size=${r%%:*} batch=${r#*:}
		log "round $round/$pairs: $size B batch $batch (${order[*]})"
		for side in "${order[@]}"; do
			run_side "$side" "$size" "$batch" "$round"
		done
	done
done
log "pairs done in $(($(date +%s) - t0))s"

python3 "$here/pairs.py" --out "$out/raw" --json "$results/bench/netpath-pairs.json" \
	--rows "${row_list[*]}" --pairs "$pairs" --runtime "$runtime" --netpath "$netpath" \
	--commit "$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
