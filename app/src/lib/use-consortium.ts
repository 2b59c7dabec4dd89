"use client";
/**
 * The organisations, assets and devices of the consortium, derived from the chain log (refreshed every second),
 * and who the connected account is in it. Every page that names an organisation or a device's asset reads it here.
 */
import { useMemo } from "react";
import type { Address } from "viem";
import { useConnection } from "wagmi";
import { useAppConfig } from "@/lib/app-config";
import { eventsNamed, useChainLog } from "@/lib/chain-log";
import { useAccountRoles } from "@/lib/use-roles";
import { deriveRegistry, inventoryByOrganisation, registryEventNames } from "@/components/devices/device-model";
import { deriveOrganisations, membershipEventNames, organisationOfAccount, type OrganisationRecord } from "@/components/organisations/organisation-model";

export function useConsortium() {
  const log = useChainLog();
  const events = log.data?.events;
  const derived = useMemo(() => {
    // The log keeps the same events array while no new event arrives, so this recomputes only on news.
    const data = events ? { events, toBlock: 0n } : undefined;
    const organisations = deriveOrganisations(eventsNamed(data, ...membershipEventNames));
    const registry = deriveRegistry(eventsNamed(data, ...registryEventNames));
    const names = new Map(organisations.map((organisation) => [organisation.id, organisation.name]));
    const devices = new Map(registry.devices.map((device) => [device.account.toLowerCase(), device]));
    return {
      organisations,
      registry,
      inventories: inventoryByOrganisation(registry),
      organisationName: (id: number) => names.get(id),
      deviceByAccount: (account: string) => devices.get(account.toLowerCase()),
      organisationById: new Map(organisations.map((organisation) => [organisation.id, organisation])),
    };
  }, [events]);
  return { ...derived, isLoading: log.isLoading, error: log.error };
}

export interface ConnectedAccount {
  /** The connected account, when its wallet is on the consortium's chain. */
  address?: Address;
  isAdmin: boolean;
  /** The organisation the account administers (pending, active or suspended), if any. */
  organisation?: OrganisationRecord;
}

export function useConnectedAccount(organisations: readonly OrganisationRecord[]): ConnectedAccount {
  const { chainId: appChainId } = useAppConfig();
  const { address, chainId } = useConnection();
  const account = address && chainId === appChainId ? address : undefined;
  const { roles } = useAccountRoles(account);
  return { address: account, isAdmin: roles.includes("ADMIN"), organisation: organisationOfAccount(organisations, account) };
}
