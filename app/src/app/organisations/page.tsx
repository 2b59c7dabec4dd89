import type { Metadata } from "next";
import { Organisations } from "@/components/organisations/Organisations";

export const metadata: Metadata = { title: "Organisations" };

export default function Page() {
  return <Organisations />;
}
