# bash completion for ld-relay-token(1) and git-credential-ld-relay(1)
#
# Installed as $(bash-completion completionsdir)/ld-relay-token (loaded on
# demand by bash-completion) with a link git-credential-ld-relay; works
# without bash-completion too ("source" it).  Completes commands, options,
# formats, store backends, and profile and relay names read from the
# configuration file (--config, $LDRT_CONFIG or
# $XDG_CONFIG_HOME/ld-relay-token/config).  It never runs the program, so
# it never touches the keyring or the network.
#
# tests/integration/t80-docs.sh checks these lists against --help.

_ld_relay_token_global_opts='-p --profile --config --api-url --ca-bundle
--store --proxy --timeout --no-prompt -q --quiet -v --verbose --version
-h --help'
_ld_relay_token_output_opts='--format --var --env-file -o --output
--k8s-name --k8s-namespace --follow-symlinks --exec --exec-timeout'
_ld_relay_token_commands='login logout status create list show update
delete import get token rotate credential store'
_ld_relay_token_formats='raw shell dotenv systemd docker json k8s-secret
curl-config'

# The options of one command (without the global ones).
_ld_relay_token_cmd_opts()
{
	case $1 in
	login)	echo --token-stdin --token-file ;;
	status|list|show) echo --json ;;
	create)	echo --policy $_ld_relay_token_output_opts ;;
	update)	echo --rename --policy --comment ;;
	delete)	echo --yes ;;
	import)	echo --key-stdin ;;
	get)	echo $_ld_relay_token_output_opts ;;
	token)	echo --format -o --output ;;
	rotate)	echo --all --all-stored --grace --expiry --if-older-than \
		    --dry-run --repair --force --lock-wait --yes \
		    $_ld_relay_token_output_opts ;;
	migrate) echo --to --delete-source ;;
	esac
}

# Section names of one kind ("profile" or "relay") in the config file.
_ld_relay_token_sections()
{
	local kind=$1 cfg=$2 line name

	if [[ -z $cfg ]]; then
		cfg=${LDRT_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/ld-relay-token/config}
	fi
	[[ -f $cfg && -r $cfg ]] || return 0
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*\[[[:space:]]*$kind[[:space:]]+([^]]*[^][:space:]])[[:space:]]*\] ]] ||
		    continue
		name=${BASH_REMATCH[1]}
		# names with blanks cannot be completed as one word
		[[ $name == *[[:space:]]* ]] || printf '%s\n' "$name"
	done < "$cfg"
}

_ld_relay_token()
{
	local cur prev cmd= sub= cfg= word i n helper=0
	local -a words

	COMPREPLY=()
	words=("${COMP_WORDS[@]}")
	n=$COMP_CWORD
	cur=${words[n]}
	prev=
	((n > 0)) && prev=${words[n - 1]}
	# "--opt=value": bash splits at '=' (COMP_WORDBREAKS)
	if [[ $cur == = ]]; then
		prev=${words[n - 1]}
		cur=
	elif [[ $prev == = ]] && ((n > 1)); then
		prev=${words[n - 2]}
	fi
	[[ ${words[0]##*/} == git-credential-ld-relay ]] && helper=1

	# the command, its subcommand, and --config, from the words before
	for ((i = 1; i < n; i++)); do
		word=${words[i]}
		case $word in
		--config)
			((i++))
			[[ ${words[i]} == = ]] && ((i++))
			cfg=${words[i]}
			continue
			;;
		-p|--profile|--api-url|--ca-bundle|--store|--proxy|--timeout| \
		--token-file|--policy|--rename|--comment|--format|--var| \
		--env-file|-o|--output|--k8s-name|--k8s-namespace|--exec| \
		--exec-timeout|--grace|--expiry|--if-older-than|--lock-wait|--to)
			((i++))
			[[ ${words[i]} == = ]] && ((i++))
			continue
			;;
		-*)	continue ;;
		esac
		if ((helper)); then
			sub=$word
		elif [[ -z $cmd ]]; then
			cmd=$word
		elif [[ -z $sub && ( $cmd == store || $cmd == credential ) ]]; then
			sub=$word
		fi
	done
	# expand a leading ~ in --config the way the shell will
	[[ $cfg == '~/'* ]] && cfg=$HOME/${cfg#'~/'}

	case $prev in
	-p|--profile)
		COMPREPLY=($(compgen -W "$({ echo default
		    _ld_relay_token_sections profile "$cfg"; } | sort -u)" -- "$cur"))
		return 0
		;;
	--store)
		COMPREPLY=($(compgen -W 'auto secret-service file' -- "$cur"))
		return 0
		;;
	--to)
		COMPREPLY=($(compgen -W 'file secret-service' -- "$cur"))
		return 0
		;;
	--format)
		if [[ $cmd == token ]]; then
			COMPREPLY=($(compgen -W 'raw curl-config json' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_ld_relay_token_formats" -- "$cur"))
		fi
		return 0
		;;
	--var)
		COMPREPLY=($(compgen -W 'AUTO_CONFIG_KEY' -- "$cur"))
		return 0
		;;
	--config|--ca-bundle|--token-file|--policy|--env-file|-o|--output)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--exec)
		COMPREPLY=($(compgen -c -- "$cur"))
		return 0
		;;
	--api-url)
		COMPREPLY=($(compgen -W 'https://app.launchdarkly.com' -- "$cur"))
		return 0
		;;
	--proxy|--timeout|--rename|--comment|--k8s-name|--k8s-namespace| \
	--exec-timeout|--grace|--expiry|--if-older-than|--lock-wait)
		return 0
		;;
	esac

	if ((helper)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_ld_relay_token_global_opts" -- "$cur"))
		elif [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W 'get store erase' -- "$cur"))
		fi
		return 0
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_ld_relay_token_global_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_ld_relay_token_commands help" -- "$cur"))
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		word=$cmd
		[[ $cmd == store && $sub == migrate ]] && word=migrate
		COMPREPLY=($(compgen -W "$(_ld_relay_token_cmd_opts "$word") $_ld_relay_token_global_opts" -- "$cur"))
		return 0
	fi
	case $cmd in
	help)
		[[ -z $sub && $prev == help ]] &&
		    COMPREPLY=($(compgen -W "$_ld_relay_token_commands" -- "$cur"))
		;;
	credential)
		[[ -z $sub ]] &&
		    COMPREPLY=($(compgen -W 'get store erase' -- "$cur"))
		;;
	store)
		[[ -z $sub ]] &&
		    COMPREPLY=($(compgen -W 'migrate' -- "$cur"))
		;;
	create|show|update|delete|import|get|rotate)
		COMPREPLY=($(compgen -W "$(_ld_relay_token_sections relay "$cfg")" -- "$cur"))
		;;
	esac
	return 0
}

complete -F _ld_relay_token ld-relay-token git-credential-ld-relay
