#!/usr/bin/env python3
"""The local event bus for `make dev`, on moto (LOCAL ONLY: never point this at real AWS).

    moto_setup.py create   create the bus, an SQS queue, and a rule sending every Maskline event
                           (source "maskline") from the bus to the queue; safe to run twice
    moto_setup.py drain    print every message waiting on the queue (one EventBridge event as JSON
                           per line) and delete it: what Maskline published, by hand
    moto_setup.py poll LAMBDA_URL
                           forever: feed the allocate and release queues to their functions through
                           cargo lambda watch's Invoke API, as Lambda's SQS event source mapping would
                           (batches of up to 10, partial batch failures left on the queue, which
                           moves a message to its dead-letter queue after 5 receives)

Like template.yaml: rule DriverAssigned -> queue <bus>-allocate (DLQ <bus>-allocate-dlq) ->
allocate-numbers; rule OrderDelivered/OrderCancelled -> <bus>-release (DLQ <bus>-release-dlq) ->
release-numbers; so an event put on the local bus really flows bus -> rule -> queue -> function.

Names: the bus is $EVENT_BUS_NAME (default maskline-local), the queue "<bus>-published".
Endpoints come from AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SQS, which
infra/local/services.sh exports; the script refuses to run without them so that it can never
create anything in a real account. Runs with .local/venv/bin/python (boto3 comes with moto).
"""

import json
import os
import sys
import time

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


# (queue suffix, function, the sources and detail types its rule routes to it), as in template.yaml
ORDER_QUEUES = [("allocate", "allocate-numbers", ["orders"], ["DriverAssigned"]),
                ("release", "release-numbers", ["orders"], ["OrderDelivered", "OrderCancelled"]),
                ("refill", "refill-pool", ["maskline", "orders"], ["PoolExhausted", "OrderPlaced"])]


def queue_arn(sqs, queue_url):
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def route(events, bus, rule, pattern, arn):
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=pattern, State="ENABLED")
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])


def create():
    events, sqs = clients()
    bus, queue = names()
    try:
        events.create_event_bus(Name=bus)
    except events.exceptions.ResourceAlreadyExistsException:
        pass
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    route(events, bus, RULE, PATTERN, queue_arn(sqs, queue_url))
    print(f"event bus {bus}: rule {RULE} {PATTERN} -> SQS queue {queue}")
    for suffix, function, sources, detail_types in ORDER_QUEUES:
        dlq_url = sqs.create_queue(QueueName=f"{bus}-{suffix}-dlq")["QueueUrl"]
        redrive = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": "5"})
        url = sqs.create_queue(QueueName=f"{bus}-{suffix}", Attributes={
            "VisibilityTimeout": "5", "RedrivePolicy": redrive})["QueueUrl"]
        pattern = json.dumps({"source": sources, "detail-type": detail_types})
        route(events, bus, f"{bus}-{suffix}", pattern, queue_arn(sqs, url))
        print(f"event bus {bus}: rule {pattern} -> SQS queue {bus}-{suffix} (DLQ {bus}-{suffix}-dlq)"
              f" -> {function}")


def lambda_record(message, arn):
    attributes = message.get("Attributes", {})
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": attributes, "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": os.environ.get("AWS_REGION", "us-east-1")}


def poll(lambda_url):
    import urllib.request
    _, sqs = clients()
    bus, _ = names()
    queues = []
    for suffix, function, _, _ in ORDER_QUEUES:
        url = sqs.get_queue_url(QueueName=f"{bus}-{suffix}")["QueueUrl"]
        queues.append((url, queue_arn(sqs, url), function))
    print(f"polling {', '.join(f'{bus}-{s} -> {f}' for s, f, _, _ in ORDER_QUEUES)}", flush=True)
    while True:
        for url, arn, function in queues:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                           AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            event = {"Records": [lambda_record(m, arn) for m in messages]}
            invoke = urllib.request.Request(f"{lambda_url}/2015-03-31/functions/{function}/invocations",
                                            data=json.dumps(event).encode(), method="POST")
            try:
                with urllib.request.urlopen(invoke, timeout=90) as response:
                    answer = json.load(response)
            except Exception as error:  # the function reloading: the messages come back later
                print(f"{function}: invoke failed ({error}); {len(messages)} message(s) stay queued", flush=True)
                continue
            failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            print(f"{function}: batch of {len(messages)}, {len(failed)} failed (left for retry / DLQ)",
                  flush=True)
        time.sleep(0.3)


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
    commands = {"create": (create, 0), "drain": (drain, 0), "poll": (poll, 1)}
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in commands or len(sys.argv) - 2 != commands[name][1]:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} create | drain | poll LAMBDA_URL")
    commands[name][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
