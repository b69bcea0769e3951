package dev.pushserver.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layout ARCHITECTURE.md describes: Netty stays in {@code transport}, only the entry point ({@code PushServer})
 * knows the transport, and the packages depend on each other one way only.
 */
@AnalyzeClasses(packages = "dev.pushserver", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule nettyOnlyInTransport = noClasses()
            .that().resideInAPackage("dev.pushserver..")
            .and().resideOutsideOfPackage("dev.pushserver.transport..")
            .should().dependOnClassesThat().resideInAPackage("io.netty..")
            .because("the core (rules, store, events, fan-out, API) must run without Netty: sessions and frames are "
                    + "its only contract with the transport");

    @ArchTest
    static final ArchRule noCyclesBetweenPackages = slices().matching("dev.pushserver.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule coreDoesNotKnowTheTransport = noClasses()
            .that().resideInAPackage("dev.pushserver..")
            .and().resideOutsideOfPackage("dev.pushserver.transport..")
            .and().doNotHaveFullyQualifiedName("dev.pushserver.PushServer")
            .should().dependOnClassesThat().resideInAPackage("dev.pushserver.transport..");
}
