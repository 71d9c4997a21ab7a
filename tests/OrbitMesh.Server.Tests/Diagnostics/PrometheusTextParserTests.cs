namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>The strict parser accepts the format and refuses what a scrape must not contain, so tests that rely on it prove something.</summary>
public sealed class PrometheusTextParserTests
{
    [Fact]
    public void Parse_AValidExposition_ReadsFamiliesSamplesAndEscapes()
    {
        const string Text = """
            # A comment is ignored.
            # HELP jobs_total Jobs, back\\slash\nsecond line.
            # TYPE jobs_total counter
            jobs_total{status="com\"pleted\"",path="C:\\x\ny",} 3 1700000000000
            jobs_total 1e+3

            # TYPE wait_seconds histogram
            wait_seconds_bucket{le="0.5"} 1
            wait_seconds_bucket{le="1"} 1
            wait_seconds_bucket{le="+Inf"} 2
            wait_seconds_sum 7.25
            wait_seconds_count 2
            # TYPE temperature gauge
            temperature -Inf
            temperature{room="a"} NaN

            """;

        var families = PrometheusTextParser.Parse(Text.Replace("\r", string.Empty, StringComparison.Ordinal));

        var jobs = families["jobs_total"];
        Assert.Equal("counter", jobs.Type);
        Assert.Equal("Jobs, back\\slash\nsecond line.", jobs.Help);
        Assert.Equal("com\"pleted\"", jobs.Samples[0].Label("status"));
        Assert.Equal("C:\\x\ny", jobs.Samples[0].Label("path"));
        Assert.Equal(1700000000000, jobs.Samples[0].Timestamp);
        Assert.Equal(1000, jobs.Samples[1].Value);
        Assert.Equal(5, families["wait_seconds"].Samples.Count);
        Assert.True(double.IsNegativeInfinity(families["temperature"].Samples[0].Value));
        Assert.True(double.IsNaN(families["temperature"].Samples[1].Value));
    }

    [Fact]
    public void Parse_Nothing_IsNoFamilies() => Assert.Empty(PrometheusTextParser.Parse(string.Empty));

    [Theory]
    [InlineData("# TYPE a gauge\na 1", "end with a line feed")]
    [InlineData("# TYPE a gauge\r\na 1\r\n", "Carriage return")]
    [InlineData("a 1\n", "without a TYPE")]
    [InlineData("# TYPE a gauge\n# TYPE a gauge\na 1\n", "second TYPE")]
    [InlineData("# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n", "second HELP")]
    [InlineData("# TYPE a gauge\na 1\n# HELP a late\n", "after its samples")]
    [InlineData("# TYPE a gauge\n# TYPE b gauge\na 1\n", "contiguous")]
    [InlineData("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n", "contiguous")]
    [InlineData("# TYPE a gauge\na 1\na 2\n", "appears twice")]
    [InlineData("# TYPE a gauge\na{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", "appears twice")]
    [InlineData("# TYPE a summary\na 1\n", "not one the collector writes")]
    [InlineData("# TYPE a\na 1\n", "not one the collector writes")]
    [InlineData("# TYPE 1a gauge\n", "Invalid metric name")]
    [InlineData("# TYPE a-b gauge\n", "Invalid metric name")]
    [InlineData("# TYPE a gauge\na{__x=\"1\"} 1\n", "Invalid label name")]
    [InlineData("# TYPE a gauge\na{1x=\"1\"} 1\n", "Invalid label name")]
    [InlineData("# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n", "repeated")]
    [InlineData("# TYPE a gauge\na{x=\"\\t\"} 1\n", "Invalid escape")]
    [InlineData("# HELP a tab\\t\n# TYPE a gauge\na 1\n", "Invalid escape")]
    [InlineData("# HELP a \\\"quoted\\\"\n# TYPE a gauge\na 1\n", "Invalid escape")]
    [InlineData("# TYPE a gauge\na{x=\"1} 1\n", "Unterminated")]
    [InlineData("# TYPE a gauge\na{x=1} 1\n", "Expected =\"")]
    [InlineData("# TYPE a gauge\na{x=\"1\" y=\"2\"} 1\n", "Expected , or }")]
    [InlineData("# TYPE a gauge\na  1\n", "not a Prometheus float")]
    [InlineData("# TYPE a gauge\na\t1\n", "one space")]
    [InlineData("# TYPE a gauge\na 1,5\n", "not a Prometheus float")]
    [InlineData("# TYPE a gauge\na Inf\n", "not a Prometheus float")]
    [InlineData("# TYPE a gauge\na 0x10\n", "not a Prometheus float")]
    [InlineData("# TYPE a gauge\na 1 12.5\n", "Bad timestamp")]
    [InlineData("# TYPE a gauge\na 1 2 3\n", "optional timestamp")]
    [InlineData("# TYPE a counter\na 1\n", "does not end in _total")]
    [InlineData("# TYPE a counter\na_total 1\n", "without a TYPE")]
    [InlineData("# TYPE a_total counter\na_total -1\n", "non-negative")]
    [InlineData("# TYPE a gauge\na_sum 1\n", "without a TYPE")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", "cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "increasing le")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "_count")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "one _count and one _sum")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\nh 1\n", "in histogram family")]
    [InlineData("# TYPE h histogram\nh_bucket 2\nh_sum 1\nh_count 2\n", "carry le")]
    [InlineData("# TYPE h histogram\nh_sum 1\nh_count 2\n", "no buckets")]
    public void Parse_RefusesWhatAScrapeMustNotContain(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusTextParser.Parse(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
