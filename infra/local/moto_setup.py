#!/usr/bin/env python3
"""The local event bus for `make dev`, on moto (LOCAL ONLY: never point this at real AWS).

    moto_setup.py create   create the bus, an SQS queue, and a rule sending every Maskline event
                           (source "maskline") from the bus to the queue; safe to run twice
    moto_setup.py drain    print every message waiting on the queue (one EventBridge event as JSON
                           per line) and delete it

Names: the bus is $EVENT_BUS_NAME (default maskline-local), the queue "<bus>-published".
Endpoints come from AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SQS, which
infra/local/services.sh exports; the script refuses to run without them so that it can never
create anything in a real account. Runs with .local/venv/bin/python (boto3 comes with moto).
"""

import json
import os
import sys

import boto3

RULE = "maskline-local-published"
PATTERN = json.dumps({"source": ["maskline"]})


def endpoint(name):
    url = os.environ.get(name, "").strip()
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit(f"moto_setup.py: {name} must point at the local moto server (got {url!r}); "
                 "source infra/local/services.sh and run start_local_services first")
    return url


def clients():
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    common = dict(region_name=region,
                  aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                  aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    events = boto3.client("events", endpoint_url=endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE"), **common)
    sqs = boto3.client("sqs", endpoint_url=endpoint("AWS_ENDPOINT_URL_SQS"), **common)
    return events, sqs


def names():
    bus = os.environ.get("EVENT_BUS_NAME") or "maskline-local"
    return bus, f"{bus}-published"


def create():
    events, sqs = clients()
    bus, queue = names()
    try:
        events.create_event_bus(Name=bus)
    except events.exceptions.ResourceAlreadyExistsException:
        pass
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name=RULE, EventBusName=bus, EventPattern=PATTERN, State="ENABLED")
    events.put_targets(Rule=RULE, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    print(f"event bus {bus}: rule {RULE} {PATTERN} -> SQS queue {queue}")


def drain():
    _, sqs = clients()
    _, queue = names()
    queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return
        for message in messages:
            # One EventBridge event per message; printed compact, one per line.
            print(json.dumps(json.loads(message["Body"]), separators=(",", ":")))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def main():
    commands = {"create": create, "drain": drain}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} create|drain")
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
