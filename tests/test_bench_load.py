"""The benchmark's wrk-output parser and its failure rule: any non-2xx answer or socket error fails a run."""
import pytest

from bench.load import LoadFailed, check, parse

CLEAN = """Running 3s test @ http://127.0.0.1:8765/v1/eligibility
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  41.00ms   90.00%
    Req/Sec    16.30k     1.10k   17.90k    70.00%
  Latency Distribution
     50%  721.00us
     75%    3.50ms
     90%    4.20ms
     99%    1.02s
  48912 requests in 3.00s, 9.10MB read
Requests/sec:  16298.52
Transfer/sec:      3.03MB
"""
NOT_FOUND = CLEAN.replace("9.10MB read\n", "9.10MB read\n  Non-2xx or 3xx responses: 48912\n")
SOCKET_ERRORS = CLEAN.replace("9.10MB read\n", "9.10MB read\n  Socket errors: connect 0, read 2, write 0, timeout 7\n")


def test_parse_reads_rate_latency_and_counts():
    result = parse(CLEAN)
    assert result["rps"] == 16298.52
    assert result["p50_ms"] == pytest.approx(0.721)
    assert result["p99_ms"] == pytest.approx(1020.0)
    assert result["requests"] == 48912
    assert result["non_2xx"] == 0 and result["socket_errors"] == {}
    assert check(result, "clean") is result


def test_parse_reads_socket_errors_by_kind():
    assert parse(SOCKET_ERRORS)["socket_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 7}


@pytest.mark.parametrize("output, reason", [(NOT_FOUND, "48,912 of 48,912 responses were not 2xx"),
                                            (SOCKET_ERRORS, "socket errors")])
def test_any_error_answer_fails_the_run(output, reason):
    with pytest.raises(LoadFailed, match=reason):
        check(parse(output), "a 404 page")


def test_zero_requests_fail():
    with pytest.raises(LoadFailed, match="no request completed"):
        check(parse(CLEAN.replace("48912 requests", "0 requests")), "nothing")


def test_wrk_without_a_result_fails():
    with pytest.raises(LoadFailed, match="wrk gave no result"):
        parse("unable to connect to 127.0.0.1:8799 Connection refused\n")
