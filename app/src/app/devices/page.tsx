import type { Metadata } from "next";
import { Devices } from "@/components/devices/Devices";

export const metadata: Metadata = { title: "Devices" };

export default function Page() {
  return <Devices />;
}
