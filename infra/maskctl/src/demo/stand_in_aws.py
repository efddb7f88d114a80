"""A stand-in `aws` for the walkthrough's smoke step (LOCAL ONLY, written into the run's directory
by infra/maskctl/src/demo/stand_in.rs with the venv's python, which has boto3).

It answers only the calls docs/deploying.md's smoke test makes, from the local stack:

    aws cloudformation describe-stacks --stack-name S --query "Stacks[0].Outputs[?OutputKey=='K'].OutputValue" --output text
    aws cloudformation describe-stacks --stack-name S --query "Stacks[0].Parameters[?ParameterKey=='K'].ParameterValue" --output text
    aws events put-events --entries JSON      (put on the local moto bus, as the real call would)

and refuses anything else loudly: a new call in the doc must get an answer here, not pass unseen.
The answers come from stand-in.json beside it; every call is appended to calls.log.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "stand-in.json"), encoding="utf-8") as f:
    LOCAL = json.load(f)

QUERY = re.compile(r"Stacks\[0\]\.(Output|Parameter)s\[\?(Output|Parameter)Key=='(\w+)'\]"
                   r"\.(Output|Parameter)Value")


def refuse(why):
    sys.exit(f"stand-in aws: REFUSED: {why}\n  aws {' '.join(sys.argv[1:])}\n"
             "  (it answers only the calls docs/deploying.md's smoke test makes; see "
             "infra/maskctl/src/demo/stand_in_aws.py)")


def options(args, allowed):
    """`--name value` pairs; an option not in `allowed`, or without a value, is refused."""
    found = {}
    it = iter(args)
    for name in it:
        if name not in allowed:
            refuse(f"option {name} is not answered")
        value = next(it, None)
        if value is None:
            refuse(f"{name} has no value")
        found[name] = value
    return found


def describe_stacks(args):
    opts = options(args, {"--stack-name", "--query", "--output"})
    if opts.get("--stack-name") != LOCAL["stack"]:
        refuse(f"no stack {opts.get('--stack-name')!r} here: the local stack is {LOCAL['stack']!r}")
    if opts.get("--output") != "text":
        refuse("only --output text is answered")
    match = QUERY.fullmatch(opts.get("--query", ""))
    if not match or len({match.group(1), match.group(2), match.group(4)}) != 1:
        refuse(f"query {opts.get('--query')!r} is not answered")
    kind, key = match.group(1), match.group(3)
    values = LOCAL["outputs" if kind == "Output" else "parameters"]
    if key not in values:
        refuse(f"the local stack has no {kind.lower()} {key} (it has {', '.join(values)})")
    print(values[key])


def put_events(args):
    opts = options(args, {"--entries"})
    try:
        entries = json.loads(opts.get("--entries", ""))
    except ValueError as e:
        refuse(f"--entries is not JSON ({e})")
    if not isinstance(entries, list):
        refuse("--entries is not a JSON list")
    for entry in entries:
        if entry.get("EventBusName") != LOCAL["bus"]:
            refuse(f"an event for bus {entry.get('EventBusName')!r}: the rules listen on "
                   f"{LOCAL['bus']!r}, the OrderEventBusName the stack answers")
    import boto3  # only here: describe-stacks must answer even where boto3 is broken

    url = os.environ.get("AWS_ENDPOINT_URL_EVENTBRIDGE", "")
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        refuse(f"AWS_ENDPOINT_URL_EVENTBRIDGE must be the local moto server (got {url!r})")
    events = boto3.client("events", endpoint_url=url,
                          region_name=os.environ.get("AWS_REGION", "us-east-1"))
    answer = events.put_events(Entries=entries)
    answer.pop("ResponseMetadata", None)
    print(json.dumps(answer, indent=4))
    # The real CLI exits 0 with a failed entry; this stand-in is stricter, so the step says why.
    if answer.get("FailedEntryCount"):
        sys.exit("stand-in aws: the local bus refused an entry (above)")


def main():
    with open(os.path.join(HERE, "calls.log"), "a", encoding="utf-8") as log:
        log.write(json.dumps(sys.argv[1:]) + "\n")
    command = tuple(sys.argv[1:3])
    if command == ("cloudformation", "describe-stacks"):
        describe_stacks(sys.argv[3:])
    elif command == ("events", "put-events"):
        put_events(sys.argv[3:])
    else:
        refuse(f"{' '.join(command)} is not answered")


main()
