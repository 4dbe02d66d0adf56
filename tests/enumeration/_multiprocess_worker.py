"""One process of the two-process enumeration tests, run from the repository root as
`python -m tests.enumeration._multiprocess_worker PORT PROCESS_ID NUM_PROCESSES OUT.npz DIR
[METHOD]` (METHOD: `starts`, the default, on P1's (P); `exact-regions` on `_pwl_cases.split_net`,
with no checkpoint; `homotopy` on `_polynomial_cases.cubic_network_3`, chunks of 4 paths)."""

import sys

import jax

jax.config.update("jax_enable_x64", True)


def main(
    port: str,
    process_id: str,
    num_processes: str,
    out: str,
    checkpoint: str,
    method: str = "starts",
) -> None:
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=int(num_processes),
        process_id=int(process_id),
        local_device_ids=[0],
    )
    from jaxfp.enumeration import ExactRegions, Homotopy, Starts, enumerate_part, save_part

    from ._iterative_cases import BUILDERS, STARTS_PER_ORTHANT
    from ._polynomial_cases import cubic_network_3
    from ._pwl_cases import split_net

    assert jax.process_count() == int(num_processes)
    if method == "exact-regions":
        part = enumerate_part(split_net(), method=ExactRegions())
    elif method == "homotopy":
        part = enumerate_part(
            cubic_network_3(), method=Homotopy(chunk_size=4), checkpoint=checkpoint
        )
    else:
        part = enumerate_part(
            BUILDERS["poly"](),
            method=Starts(starts_per_orthant=STARTS_PER_ORTHANT, certify=False),
            checkpoint=checkpoint,
        )
    save_part(part, out)
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:])
