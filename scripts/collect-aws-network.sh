#!/bin/sh
# Collects an AWS account's network configuration for `vpcsim import`, with the AWS CLI:
#
#   <out>/get-caller-identity.json            the account (aws sts get-caller-identity)
#   <out>/<region>/describe-vpcs.json          one file per command, named after it, per region
#   <out>/<region>/describe-vpc-attribute-<vpc-id>-enableDnsHostnames.json
#   <out>/<region>/get-managed-prefix-list-entries-<pl-id>.json
#
# Usage: scripts/collect-aws-network.sh [-o DIR] [-r REGION]... [-p PROFILE]
#   -o DIR       where to write (default ./aws-export)
#   -r REGION    a region to collect (repeatable; default every region enabled for the account)
#   -p PROFILE   the AWS CLI profile (else the CLI's usual credentials)
#
# Only describe/get calls are made (read-only; the ReadOnlyAccess or ViewOnlyAccess policy is
# enough). A command the account may not run is reported and skipped. Note that
# describe-vpn-connections prints each connection's CustomerGatewayConfiguration, which holds
# its tunnels' pre-shared keys: keep the folder private, or delete those files.
set -eu

OUT=aws-export
REGIONS=""
AWS=${AWS_CLI:-aws}

while getopts "o:r:p:h" opt; do
  case "$opt" in
    o) OUT=$OPTARG ;;
    r) REGIONS="$REGIONS $OPTARG" ;;
    p) export AWS_PROFILE="$OPTARG" ;;
    h) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-o DIR] [-r REGION]... [-p PROFILE]" >&2; exit 2 ;;
  esac
done

export AWS_PAGER=""

COMMANDS="describe-vpcs describe-subnets describe-route-tables describe-security-groups
describe-security-group-rules describe-network-acls describe-network-interfaces describe-instances
describe-internet-gateways describe-egress-only-internet-gateways describe-nat-gateways
describe-vpc-peering-connections describe-vpc-endpoints describe-vpn-gateways describe-vpn-connections
describe-customer-gateways describe-addresses describe-dhcp-options describe-managed-prefix-lists
describe-prefix-lists"

# run FILE ARGS...: writes the command's JSON to FILE, or reports why it could not.
run() {
  file=$1
  shift
  if "$AWS" "$@" --output json > "$file.tmp" 2> "$file.err"; then
    mv "$file.tmp" "$file"
    rm -f "$file.err"
  else
    echo "  skipped $(basename "$file"): $(tr '\n' ' ' < "$file.err")" >&2
    rm -f "$file.tmp" "$file.err"
  fi
}

# The region for calls that are not about one region: the first one asked for, else the CLI's own.
HOME_REGION=$(echo $REGIONS | cut -d' ' -f1)
HOME_REGION=${HOME_REGION:-${AWS_REGION:-${AWS_DEFAULT_REGION:-$("$AWS" configure get region 2>/dev/null || true)}}}
HOME_REGION=${HOME_REGION:-us-east-1}

mkdir -p "$OUT"
"$AWS" sts get-caller-identity --region "$HOME_REGION" --output json > "$OUT/get-caller-identity.json.tmp"
mv "$OUT/get-caller-identity.json.tmp" "$OUT/get-caller-identity.json"
ACCOUNT=$("$AWS" sts get-caller-identity --region "$HOME_REGION" --query Account --output text)
echo "account $ACCOUNT"

if [ -z "$REGIONS" ]; then
  REGIONS=$("$AWS" ec2 describe-regions --region "$HOME_REGION" --query 'Regions[].RegionName' --output text)
fi

for region in $REGIONS; do
  echo "$region"
  dir="$OUT/$region"
  mkdir -p "$dir"
  # The region's commands run side by side (describe calls are cheap for AWS; the CLI's start is not).
  for cmd in $COMMANDS; do
    run "$dir/$cmd.json" ec2 "$cmd" --region "$region" &
  done
  wait
  for vpc in $("$AWS" ec2 describe-vpcs --region "$region" --query 'Vpcs[].VpcId' --output text); do
    [ "$vpc" = None ] && continue
    for attr in enableDnsSupport enableDnsHostnames; do
      run "$dir/describe-vpc-attribute-$vpc-$attr.json" ec2 describe-vpc-attribute --region "$region" --vpc-id "$vpc" --attribute "$attr" &
    done
  done
  for pl in $("$AWS" ec2 describe-managed-prefix-lists --region "$region" --filters "Name=owner-id,Values=$ACCOUNT" \
    --query 'PrefixLists[].PrefixListId' --output text); do
    [ "$pl" = None ] && continue
    run "$dir/get-managed-prefix-list-entries-$pl.json" ec2 get-managed-prefix-list-entries --region "$region" --prefix-list-id "$pl" &
  done
  wait
done
echo "written to $OUT; load it with: vpcsim import $OUT --data-dir DIR"
