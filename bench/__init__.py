"""Benchmarks of catena-mcp against the least an MCP server can do, run side by side.

    python -m bench            # everything, prints the table with ratios (< 5 min on 2 cores)
    python -m bench --quick    # the CI version (< 60 s)

See BENCHMARKS.md for the latest results and how to read them.
"""
