"""The benchmark: realistic large inputs (generate.py) and a runner that times reportgen (run.py).

Run from the repository root with the project's virtualenv:

    python -m tests.benchmark.generate OUT_DIR --files 5000 --cases 500000
    python -m tests.benchmark.run --peers-venv PEERS_VENV
"""
